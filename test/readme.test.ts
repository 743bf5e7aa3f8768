// The README is for users: short, in the order they need it, with a table of
// every endpoint the service answers.
import { readFile } from 'node:fs/promises'
import { test } from 'tap'

const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8')
const openapi = JSON.parse(await readFile(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as { paths: Record<string, Record<string, unknown>> }

test('the README is at most 300 lines, its sections in the order a user needs them', async (t) => {
  t.ok(readme.split('\n').length <= 300, `${readme.split('\n').length} lines`)
  const headings = [...readme.matchAll(/^## (.+)$/gm)].map((match) => match[1])
  t.same(headings, ['Quick start', 'Endpoints', 'The answer of /classify', 'One example per platform', 'The catalog',
    'As a library', 'In a terminal', 'Configuration', 'Operations and security'])
  t.match(readme, /```sh\nnpm ci && npm start\n```/, 'the start command')
  t.match(readme, /```sh\nnpm ci && npm test\n```/, 'the test command')
})

test('the endpoint table lists every route in the OpenAPI description, and no other', async (t) => {
  const section = readme.slice(readme.indexOf('## Endpoints'), readme.indexOf('## The answer of /classify'))
  const rows = [...section.matchAll(/^\| `([^|]+)` \|/gm)].flatMap((match) => (match[1] as string).split(/`, `/))
  const documented = new Set(rows.map((row) => row.replace(/\?.*$/, '').replace(/:(\w+)/g, '{$1}')))
  const described = Object.entries(openapi.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`))
  for (const route of described) t.ok(documented.has(route), `${route} is in the table`)
  const extra = [...documented].filter((route) => !described.includes(route) && !['GET /openapi.json', 'GET /openapi.yaml', 'GET /'].includes(route))
  t.same(extra, [], 'the table lists no route the service lacks')
})

// The document errcat serves passes `redocly lint` with the recommended
// ruleset and redocly.yaml, through @redocly/openapi-core (the CLI's engine,
// offline): no error, and no warning. A rule redocly.yaml turns off says why
// in a comment, and is held to what that comment says.
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { createConfig, lintFromString, loadConfig, type NormalizedProblem } from '@redocly/openapi-core'
import { test } from 'tap'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import { parse } from 'yaml'
import { build, type Teardown } from '../helper.js'

const configPath = fileURLToPath(new URL('../../redocly.yaml', import.meta.url))
const documentPath = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url))
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

async function served (t: Teardown): Promise<OpenAPI.Document> {
  const { app } = await build(t)
  await app.ready()
  return structuredClone(app.swagger()) as unknown as OpenAPI.Document
}

async function lint (document: OpenAPI.Document, config: Awaited<ReturnType<typeof createConfig>>): Promise<NormalizedProblem[]> {
  return lintFromString({ source: JSON.stringify(document, null, 2), absoluteRef: documentPath, config })
}

const describe = (problem: NormalizedProblem): string =>
  `${problem.severity} ${problem.ruleId} at ${problem.location[0]?.pointer ?? '?'}: ${problem.message}`

test('with the recommended ruleset and redocly.yaml: no error and no warning', async (t) => {
  const document = await served(t)
  const problems = await lint(document, await loadConfig({ configPath }))
  t.same(problems.map(describe), [])
})

test('every rule redocly.yaml turns off says why, and hides only what it says', async (t) => {
  const text = await readFile(configPath, 'utf8')
  const config = parse(text) as { extends: string[], rules?: Record<string, unknown> }
  t.same(config.extends, ['recommended'])
  const off = Object.entries(config.rules ?? {}).filter(([, setting]) => setting === 'off').map(([rule]) => rule)
  const lines = text.split('\n')
  for (const rule of off) {
    const at = lines.findIndex((line) => line.trim().startsWith(`${rule}:`))
    t.match(lines[at - 1], /^\s*#/, `${rule}: a comment above it gives the reason`)
  }

  const document = await served(t)
  const problems = await lint(document, await createConfig({ extends: ['recommended'] }))
  for (const problem of problems) t.ok(off.includes(problem.ruleId), `${describe(problem)} is a rule redocly.yaml turns off`)

  // operation-4xx-response: only the operations that take no parameter and no body.
  const withoutInput: string[] = []
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method]
      if (operation !== undefined && (operation.parameters ?? []).length === 0 && operation.requestBody === undefined) {
        withoutInput.push(`#/paths/${path.replaceAll('~', '~0').replaceAll('/', '~1')}/${method}/responses`)
      }
    }
  }
  const noClientError = problems.filter((problem) => problem.ruleId === 'operation-4xx-response').map((problem) => problem.location[0]?.pointer)
  t.same(noClientError.sort(), withoutInput.sort(), 'no 4xx only where there is no input')
  t.same(withoutInput.sort(), ['#/paths/~1healthz/get/responses', '#/paths/~1metrics/get/responses', '#/paths/~1readyz/get/responses'])
})

test('the lint fails a document that breaks a rule', async (t) => {
  const document = await served(t)
  delete document.servers
  const operation = document.paths?.['/codes']?.get
  if (operation !== undefined) delete operation.operationId
  const problems = await lint(document, await loadConfig({ configPath }))
  t.same(problems.map((problem) => `${problem.severity} ${problem.ruleId} ${problem.location[0]?.pointer ?? ''}`).sort(), [
    'error no-empty-servers #/openapi',
    'warn operation-operationId #/paths/~1codes/get/operationId'
  ])
})

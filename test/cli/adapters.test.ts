// Issue 10, point 3: the HTTP routes, the library and the CLI share one
// engine. The same cases go through all three, and their JSON answers must be
// deep-equal (and the CLI's --json output byte-equal to the HTTP body).
import { readFileSync } from 'node:fs'
import type { FastifyInstance } from 'fastify'
import { t as tap, test } from 'tap'
import * as library from '../../src/index.js'
import { run } from '../../src/cli/run.js'
import { build } from '../helper.js'

// Each CLI run loads the catalog from disk, as `errcat` does: about 70 loads.
tap.setTimeout(120_000)

interface LookupCase {
  kind: 'lookup'
  name: string
  code: string
  source?: string
  expect: Record<string, unknown>
}

interface SearchCase {
  kind: 'search'
  name: string
  q?: string
  source?: string
  normalized_code?: library.NormalizedCode
  limit?: number
  offset?: number
  expect: Record<string, unknown>
}

interface ClassifyCase {
  kind: 'classify'
  name: string
  body: string
  status?: number | null
  /** Upstream header names as the upstream spells them. */
  headers?: Record<string, string>
  contentType?: string | null
  source?: string
  expect?: Record<string, unknown>
}

type Case = LookupCase | SearchCase | ClassifyCase

const J = JSON.stringify

const cases: Case[] = [
  { kind: 'lookup', name: 'a code two sources spell alike', code: 'RATE_LIMITED', expect: { query: 'RATE_LIMITED', matches: [{ source: 'scaigrid', code: 'RATE_LIMITED' }, { source: 'onecli', code: 'rate_limited' }] } },
  { kind: 'lookup', name: 'a lookup in another case, within one source', code: 'rate_limited', source: 'scaigrid', expect: { matches: [{ source: 'scaigrid', code: 'RATE_LIMITED', kind: 'code' }] } },
  { kind: 'lookup', name: 'a pattern lookup: a module code only the suffix rule knows', code: 'SCAIMATRIX_INDEX_NOT_FOUND', expect: { matches: [{ source: 'scaigrid', code: '*_NOT_FOUND', kind: 'pattern', normalized_code: 'not_found' }] } },
  { kind: 'search', name: 'a search for two words', q: 'rate limit', limit: 5, expect: { items: [{}, {}, {}, {}, {}], total: Number } },
  { kind: 'search', name: 'a search by source and normalized code', source: 'onecli', normalized_code: 'quota_exceeded', expect: { items: [{ source: 'onecli', code: 'quota_exceeded' }] } },
  { kind: 'search', name: 'a search page past the end', q: 'not found', offset: 1000, expect: { items: [] } },
  {
    kind: 'classify',
    name: 'a scaigrid envelope with a Retry-After header',
    body: J({ status: 'error', error: { code: 'BACKEND_RATE_LIMITED', message: 'Backend rate limit exceeded — please retry later' }, meta: { request_id: 'req_abc123' } }),
    status: 429,
    headers: { 'Retry-After': '30' },
    contentType: 'application/json',
    expect: { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', request_id: 'req_abc123', retry: { strategy: 'retry_after', delay_ms: 30000 } }
  },
  {
    kind: 'classify',
    name: 'an onecli message template',
    body: J({ error: 'Unknown provider: slack' }),
    status: 404,
    contentType: 'application/json',
    expect: { source: 'onecli', code: 'app_provider_unknown', matched_by: 'message_template', params: { provider: 'slack' } }
  },
  {
    kind: 'classify',
    name: 'an nginx HTML 502 page',
    body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
    status: 502,
    contentType: 'text/html',
    expect: { normalized_code: 'upstream_error', source: 'nginx', http_status: 502 }
  },
  {
    kind: 'classify',
    name: 'an empty body with status 503',
    body: '',
    status: 503,
    expect: { normalized_code: 'unavailable', matched_by: 'status', message: null, retry: { retryable: true, strategy: 'exponential_backoff' } }
  },
  {
    kind: 'classify',
    name: 'a truncated JSON body',
    body: '{"status":"error","error":{"code":"MODEL_NOT_FOUND","message":"No frontend model with that slug"},"meta":{"request_id":"req_tr',
    status: 404,
    contentType: 'application/json',
    expect: { source: 'scaigrid', code: 'MODEL_NOT_FOUND', normalized_code: 'not_found' }
  },
  {
    kind: 'classify',
    name: 'a xerotier error with prefixed, odd-case request-id and should-retry headers',
    body: J({ error: { message: 'Internal server error', type: 'internal_error', code: 'internal_error', param: null } }),
    status: 500,
    headers: { 'X-UPSTREAM-X-Request-ID': 'rtr-5f2c9e', 'x-should-retry': 'false' },
    contentType: 'application/json',
    expect: { source: 'xerotier', request_id: 'rtr-5f2c9e', retry: { retryable: false } }
  },
  {
    kind: 'classify',
    name: 'a source hint and no status',
    body: J({ error: 'Agent not found' }),
    source: 'onecli',
    expect: { source: 'onecli', normalized_code: 'not_found', http_status: 404 }
  },
  {
    kind: 'classify',
    name: 'a Retry-After-Ms header on a plain-text body',
    body: 'upstream overloaded',
    status: 503,
    headers: { 'retry-after-ms': '1500' },
    contentType: 'text/plain',
    expect: { retry: { strategy: 'retry_after', delay_ms: 1500 } }
  }
]

interface UpstreamBody {
  name: string
  status: number | null
  headers: Record<string, string>
  content_type: string
  body: string
}

// Every upstream body the classify tests hold, too.
const upstreamBodies = (JSON.parse(readFileSync(new URL('../fixtures/upstream-bodies.json', import.meta.url), 'utf8')) as { bodies: UpstreamBody[] }).bodies
for (const body of upstreamBodies) {
  cases.push({ kind: 'classify', name: `fixture: ${body.name}`, body: body.body, status: body.status, headers: body.headers, contentType: body.content_type })
}

function query (params: Record<string, string | number | null | undefined>): string {
  const search = new URLSearchParams()
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null) search.set(name, String(value))
  const text = search.toString()
  return text === '' ? '' : `?${text}`
}

/** The bare, lowercased upstream header name, as POST /classify reads it. */
function bare (name: string): string {
  return name.toLowerCase().replace(/^x-upstream-/, '')
}

interface Answer {
  status: number
  body: string
}

async function viaHttp (app: FastifyInstance, c: Case): Promise<Answer> {
  if (c.kind === 'lookup') {
    const res = await app.inject({ url: `/codes/${encodeURIComponent(c.code)}${query({ source: c.source })}` })
    return { status: res.statusCode, body: res.body }
  }
  if (c.kind === 'search') {
    const res = await app.inject({ url: `/codes${query({ q: c.q, source: c.source, normalized_code: c.normalized_code, limit: c.limit, offset: c.offset })}` })
    return { status: res.statusCode, body: res.body }
  }
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(c.headers ?? {})) headers[`x-upstream-${bare(name)}`] = value
  if (c.contentType !== undefined && c.contentType !== null) headers['content-type'] = c.contentType
  const res = await app.inject({ method: 'POST', url: `/classify${query({ status: c.status, source: c.source })}`, headers, payload: c.body })
  return { status: res.statusCode, body: res.body }
}

async function viaLibrary (catalog: library.Catalog, c: Case): Promise<unknown> {
  if (c.kind === 'lookup') return library.lookup(c.code, catalog, { source: c.source })
  if (c.kind === 'search') return library.search(catalog, { q: c.q, source: c.source, normalized_code: c.normalized_code, limit: c.limit, offset: c.offset })
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(c.headers ?? {})) headers[bare(name)] = value
  return library.classify({ body: c.body, contentType: c.contentType ?? null, status: c.status ?? null, headers, source: c.source ?? null }, catalog)
}

async function viaCli (c: Case): Promise<{ code: number, stdout: string, stderr: string }> {
  const argv: string[] = [c.kind, '--json']
  let stdin = ''
  if (c.source !== undefined) argv.push('--source', c.source)
  if (c.kind === 'lookup') argv.push(c.code)
  if (c.kind === 'search') {
    if (c.q !== undefined) argv.push(...c.q.split(' '))
    if (c.normalized_code !== undefined) argv.push('--normalized-code', c.normalized_code)
    if (c.limit !== undefined) argv.push('--limit', String(c.limit))
    if (c.offset !== undefined) argv.push('--offset', String(c.offset))
  }
  if (c.kind === 'classify') {
    stdin = c.body
    if (c.status !== undefined && c.status !== null) argv.push('--status', String(c.status))
    for (const [name, value] of Object.entries(c.headers ?? {})) argv.push('--header', `${name}: ${value}`)
    if (c.contentType !== undefined && c.contentType !== null) argv.push('--content-type', c.contentType)
  }
  const outcome = { code: -1, stdout: '', stderr: '' }
  outcome.code = await run(argv, {
    stdin,
    env: {},
    stdout: { write: (text: string) => { outcome.stdout += text } },
    stderr: { write: (text: string) => { outcome.stderr += text } }
  })
  return outcome
}

test('lookups, searches and classifications answer alike through the HTTP routes, the library and the CLI', async (t) => {
  const { app } = await build(t)
  const catalog = await library.loadCatalog()
  t.ok(cases.length >= 8 + upstreamBodies.length, `${cases.length} cases`)

  for (const c of cases) {
    await t.test(`${c.kind}: ${c.name}`, async (t) => {
      const http = await viaHttp(app, c)
      const lib = await viaLibrary(catalog, c)
      const cli = await viaCli(c)
      t.equal(http.status, 200, 'the route answers 200')
      t.equal(cli.code, 0, 'the CLI exits 0')
      t.equal(cli.stderr, '')
      const answer = JSON.parse(http.body) as unknown
      // The library answers objects; its JSON answer is what they serialize to.
      t.strictSame(JSON.parse(JSON.stringify(lib)), answer, 'library = HTTP')
      t.strictSame(JSON.parse(cli.stdout), answer, 'CLI --json = HTTP')
      t.equal(cli.stdout, http.body + '\n', 'CLI --json prints the HTTP body\'s bytes')
      if (c.expect !== undefined) t.match(answer, c.expect, 'the case is the one it claims to be')
    })
  }
})

test('an unknown code: the 404 problem, the library\'s empty lookup and suggestions, and the CLI\'s exit 1 agree', async (t) => {
  const { app } = await build(t)
  const catalog = await library.loadCatalog()
  for (const [code, source] of [['SANDBOX_NOT_FOUNDX', undefined], ['sandbox_not_found', 'scaigrid'], ['zzqqxx', undefined]] as const) {
    const c: LookupCase = { kind: 'lookup', name: code, code, ...(source === undefined ? {} : { source }), expect: {} }
    const http = await viaHttp(app, c)
    t.equal(http.status, 404)
    const { instance, request_id: requestId, ...problem } = JSON.parse(http.body) as Record<string, unknown>
    t.equal(instance, `/codes/${code}`)
    t.type(requestId, 'string')

    const cli = await viaCli(c)
    t.equal(cli.code, 1, `${code}: the CLI exits 1`)
    t.strictSame(JSON.parse(cli.stdout), problem, `${code}: CLI = HTTP less instance and request_id`)

    t.strictSame(library.lookup(code, catalog, { source }), { query: code, matches: [] }, `${code}: the library finds nothing`)
    t.strictSame(library.suggest(code, catalog, { source }), problem.suggestions, `${code}: the library suggests the same codes`)
  }
})

test('an unknown source is refused by all three: HTTP 400, the library\'s UnknownSourceError, the CLI\'s exit 2', async (t) => {
  const { app } = await build(t)
  const catalog = await library.loadCatalog()
  const refused: Case[] = [
    { kind: 'lookup', name: 'lookup', code: 'RATE_LIMITED', source: 'nope', expect: {} },
    { kind: 'search', name: 'search', q: 'rate', source: 'nope', expect: {} },
    { kind: 'classify', name: 'classify', body: '{}', source: 'nope' }
  ]
  for (const c of refused) {
    const http = await viaHttp(app, c)
    t.equal(http.status, 400, `${c.kind}: HTTP 400`)
    const problem = JSON.parse(http.body) as { type: string, field: string, valid_values: string[] }
    t.match(problem, { type: 'urn:errcat:problem:unknown-source', field: 'source' })

    let thrown: unknown
    try {
      await viaLibrary(catalog, c)
    } catch (error) {
      thrown = error
    }
    t.type(thrown, library.UnknownSourceError, `${c.kind}: the library throws UnknownSourceError`)
    t.strictSame((thrown as library.UnknownSourceError).validIds, problem.valid_values, 'the same valid sources')

    const cli = await viaCli(c)
    t.equal(cli.code, 2, `${c.kind}: the CLI exits 2`)
    t.equal(cli.stdout, '')
    t.equal(cli.stderr, `errcat: ${(thrown as Error).message}\nRun "errcat help" for usage.\n`)
  }
})

// Robustness and security (issue 9): hostile input never gets a 5xx, a hang,
// a crash or a forged log line. The seed corpus of hostile inputs lives in
// test/fixtures/hostile/corpus.json, each case a regression test here; the
// property-based tests are in test/properties.test.ts. No timing assertions:
// speed is the benchmark's job, correctness on adversarial input is ours.
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { FastifyInstance } from 'fastify'
import { test, type Test } from 'tap'
import type { InjectOptions, LightMyRequestResponse } from 'fastify'
import { build, CATALOG_DIR, componentValidator, SOURCE_IDS, type LogLine } from '../helper.js'
import { buildCatalog } from '../../src/catalog/load.js'
import type { Catalog } from '../../src/catalog/types.js'
import type { Classification } from '../../src/engine/classify.js'

type App = FastifyInstance

const MiB = 1024 * 1024
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/
const PROBLEM_TYPE = /^application\/problem\+json/
const JSON_TYPE = /^application\/json/

// ---------------------------------------------------------------------------
// A synthetic catalog: the bundled taxonomy and one source whose templates
// have several placeholders, built in memory with buildCatalog.
// ---------------------------------------------------------------------------

const SYNTHETIC_SOURCE = `id: synthetic
name: Synthetic
reference: https://example.invalid/synthetic
docs:
  - https://example.invalid/synthetic
envelope: Plain text messages only; the templates exist to be attacked.
entries:
  - code: three_part
    template: "{a}: {b}: {c}!"
    normalized_code: invalid_request
    http_status: 400
    title: Three-part message
    description: A message of three parts separated by colons, ending in an exclamation mark.
    remediation:
      action: Fix the request.
      diagnostic: null
  - code: quoted_value
    template: 'Value "{value}" of {field} is not allowed'
    normalized_code: invalid_request
    http_status: 400
    title: Quoted value refused
    description: A quoted value the platform refuses, with the field it came in.
    remediation:
      action: Send an allowed value.
      diagnostic: null
  - code: plain_message
    message: "Synthetic failure"
    normalized_code: internal
    http_status: 500
    title: Synthetic failure
    description: An exact message, so the source has one of each kind.
    remediation:
      action: Retry later.
      diagnostic: null
`

function syntheticCatalog (): Catalog {
  const taxonomy = readFileSync(join(CATALOG_DIR, 'taxonomy.yaml'), 'utf8')
  return buildCatalog([{ name: 'taxonomy.yaml', text: taxonomy }, { name: 'synthetic.yaml', text: SYNTHETIC_SOURCE }], '/synthetic-catalog')
}

// ---------------------------------------------------------------------------
// The OpenAPI document's components, compiled as test/openapi.test.ts does.
// ---------------------------------------------------------------------------

const validClassification = componentValidator('Classification')
const validProblem = componentValidator('Problem')

// ---------------------------------------------------------------------------
// The corpus
// ---------------------------------------------------------------------------

type Part = string | { repeat: string, times: number }
type Body = string | { base64: string } | { parts: Part[] }

interface HostileCase {
  name: string
  why: string
  route?: '/classify' | '/classify/batch'
  catalog?: 'bundled' | 'synthetic'
  content_type: string | null
  status: number | null
  body: Body
  expect_http?: number
  expect: Record<string, unknown>
}

const corpus = JSON.parse(readFileSync(new URL('../fixtures/hostile/corpus.json', import.meta.url), 'utf8')) as { cases: HostileCase[] }

/** The bytes a corpus body stands for. */
function materialize (body: Body): string | Buffer {
  if (typeof body === 'string') return body
  if ('base64' in body) return Buffer.from(body.base64, 'base64')
  return body.parts.map((part) => (typeof part === 'string' ? part : part.repeat.repeat(part.times))).join('')
}

function injectOptions (hostile: HostileCase): InjectOptions {
  const query = hostile.status === null ? '' : `?status=${hostile.status}`
  return {
    method: 'POST',
    url: (hostile.route ?? '/classify') + query,
    headers: hostile.content_type === null ? {} : { 'content-type': hostile.content_type },
    payload: materialize(hostile.body)
  }
}

/** The classification fields `expected` names; params_length and message_length are measured. */
function observed (answer: Record<string, unknown>, expected: Record<string, unknown>): Record<string, unknown> {
  const seen: Record<string, unknown> = {}
  for (const key of Object.keys(expected)) {
    if (key === 'params_length') {
      const params = answer.params as Record<string, string>
      seen[key] = Object.fromEntries(Object.keys(expected[key] as object).map((name) => [name, params[name]?.length]))
    } else if (key === 'message_length') {
      seen[key] = typeof answer.message === 'string' ? answer.message.length : null
    } else {
      seen[key] = answer[key]
    }
  }
  return seen
}

const PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort()

function notPolluted (t: Test): void {
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), PROTOTYPE_KEYS, 'Object.prototype has exactly its own keys')
  const probe = {} as Record<string, unknown>
  t.equal(probe.polluted, undefined, 'Object.prototype is not polluted')
  t.equal(Object.hasOwn(Object.prototype, 'polluted'), false, 'Object.prototype has no new own key')
  t.equal(({} as Record<string, unknown>).code, undefined, 'no inherited code')
}

test('the hostile corpus: each case answers as recorded, never a 5xx', async (t) => {
  const bundled = await build(t)
  const synthetic = await build(t, { catalog: syntheticCatalog() })
  t.ok(corpus.cases.length >= 45, `the corpus has ${corpus.cases.length} cases`)
  t.equal(new Set(corpus.cases.map((c) => c.name)).size, corpus.cases.length, 'case names are unique')

  for (const hostile of corpus.cases) {
    await t.test(hostile.name, async (t) => {
      const app = hostile.catalog === 'synthetic' ? synthetic.app : bundled.app
      const res = await app.inject(injectOptions(hostile))
      const expectedHttp = hostile.expect_http ?? 200
      t.equal(res.statusCode, expectedHttp, `HTTP ${expectedHttp}: ${hostile.why}`)
      if (expectedHttp === 200) {
        t.match(res.headers['content-type'], JSON_TYPE)
        const json = res.json() as { results?: Classification[] } & Classification
        const answer = (hostile.route === '/classify/batch' ? json.results?.[0] : json) as unknown as Record<string, unknown>
        t.same(observed(answer, hostile.expect), hostile.expect)
        t.ok(validClassification(answer), `matches the Classification schema: ${JSON.stringify(validClassification.errors)}`)
        t.ok(typeof answer.message !== 'string' || answer.message.length <= 513, 'the echoed message is bounded')
      } else {
        t.match(res.headers['content-type'], PROBLEM_TYPE)
        const problem = res.json() as Record<string, unknown>
        t.same(observed(problem, hostile.expect), hostile.expect)
        t.ok(validProblem(problem), `matches the Problem schema: ${JSON.stringify(validProblem.errors)}`)
      }
    })
  }
  notPolluted(t)
  const health = await bundled.app.inject({ url: '/healthz' })
  t.equal(health.statusCode, 200, 'the service still answers')
})

// ---------------------------------------------------------------------------
// 1. No 5xx, no hang, no crash
// ---------------------------------------------------------------------------

test('__proto__ and constructor.prototype keys in a batch are read as data, and nothing is polluted', async (t) => {
  const { app } = await build(t)
  const poisoned: Array<[string, number]> = [
    ['{"items":[{"status":404,"body":{"__proto__":{"polluted":"yes"}}}]}', 200],
    ['{"items":[{"status":404,"body":{"constructor":{"prototype":{"polluted":"yes"}}}}]}', 200],
    ['{"__proto__":{"polluted":"yes"},"items":[]}', 200],
    ['{"items":[{"__proto__":{"status":500},"body":"x"}]}', 200]
  ]
  for (const [payload, status] of poisoned) {
    const res = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload })
    // Such keys are data: in an upstream body, the upstream's; in the batch's own shape, unknown fields it ignores.
    t.equal(res.statusCode, status, payload)
    const results = res.json().results as Classification[]
    if (payload.includes('"status":404')) t.match(results[0], { normalized_code: 'not_found', http_status: 404 })
    if (payload.includes('"status":500')) t.match(results[0], { http_status: null }, 'a __proto__ key sets no field')
    t.equal(({} as Record<string, unknown>).polluted, undefined, 'nothing is polluted')
  }
  const asString = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    payload: { items: [{ status: 404, body: '{"__proto__":{"error":"Agent not found"},"constructor":{"prototype":{"polluted":"yes"}}}' }] }
  })
  t.equal(asString.statusCode, 200, 'the same keys in a string body are data')
  t.match(asString.json().results[0], { normalized_code: 'not_found', code: null, matched_by: 'status' })
  const constructorKey = await app.inject({ method: 'POST', url: '/classify/batch', payload: '{"items":[{"status":404,"body":{"constructor":"Agent not found","error":"Agent not found"}}]}', headers: { 'content-type': 'application/json' } })
  t.equal(constructorKey.statusCode, 200, 'a plain constructor key is just data')
  t.equal(constructorKey.json().results[0].code, 'agent_not_found')
  notPolluted(t)
})

test('JSON arrays nested 100,000 deep: as a raw /classify body, as a batch item body, and with ?format=text', async (t) => {
  const { app } = await build(t)
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const raw = await app.inject({ method: 'POST', url: '/classify?status=503', headers: { 'content-type': 'application/json' }, payload: deep })
  t.equal(raw.statusCode, 200)
  t.match(raw.json(), { normalized_code: 'unavailable', matched_by: 'status', message: null })
  const text = await app.inject({ method: 'POST', url: '/classify?status=503&format=text', headers: { 'content-type': 'application/json' }, payload: deep })
  t.equal(text.statusCode, 200)
  t.match(text.headers['content-type'], /^text\/plain/)
  t.match(text.body, /unavailable/)
  // As a string, a batch item body nests as deep as it likes: it is read as text.
  const batch = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    headers: { 'content-type': 'application/json' },
    payload: `{"items":[{"status":503,"body":${JSON.stringify(deep)}},{"status":404,"body":${JSON.stringify(deep)}},{"body":${JSON.stringify(`{"error":${deep},"message":"Agent not found"}`)}}]}`
  })
  t.equal(batch.statusCode, 200)
  const results = batch.json().results as Classification[]
  t.same(results.map((r) => [r.normalized_code, r.matched_by]), [['unavailable', 'status'], ['not_found', 'status'], ['unknown', 'none']],
    'a body too deep to read says nothing, even a message beside the deep value')
})

test('a batch nested 100,000 deep anywhere is a 400 problem, refused before any parse', async (t) => {
  const { app } = await build(t)
  const deep = '['.repeat(100_000) + ']'.repeat(100_000)
  const objects = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000)
  for (const payload of [deep, `{"items":${deep}}`, `{"items":[{"headers":{"retry-after":${deep}}}]}`, `{"items":[{"source":${objects}}]}`, `{"items":[{"status":503,"body":${deep}}]}`]) {
    const res = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400)
    t.match(res.headers['content-type'], PROBLEM_TYPE)
    t.match(res.json(), { status: 400, type: 'urn:errcat:problem:bad-request', detail: /deeper than 64 levels/ })
  }
})

test('hostile inputs for onecli\'s multi-word templates answer the right template', async (t) => {
  const { app } = await build(t)
  const post = async (body: string, status = 400, contentType = 'text/plain') => {
    const res = await app.inject({ method: 'POST', url: `/classify?status=${status}`, headers: { 'content-type': contentType }, payload: body })
    t.equal(res.statusCode, 200)
    return res.json() as Classification
  }
  const required = await post(' is required'.repeat(5000))
  t.same([required.code, required.matched_by], ['app_credential_field_required', 'message_template'], "' is required' repeated: the template with a field of the rest")
  t.match(required.params.field, /^is required is required/)
  const exact = await post('clientId is required')
  t.same([exact.code, exact.matched_by], ['app_byoc_client_id_missing', 'message'], 'the exact message still beats the template')
  const braces = await post('{field} is required')
  t.same([braces.code, braces.params], ['app_credential_field_required', { field: '{field}' }], 'the placeholder text itself is just a value')
  const onlyTail = await post('is required')
  t.same([onlyTail.code, onlyTail.matched_by], [null, 'status'], 'a placeholder captures at least one character')

  const unclosed = await post('Provider "' + 'Provider "'.repeat(6000))
  t.same([unclosed.code, unclosed.matched_by], [null, 'status'], 'the opening piece repeated without the closing one')
  const twice = await post('Provider "a" is not available" is not available')
  t.same([twice.code, twice.params], ['app_provider_unavailable', { provider: 'a" is not available' }])
  const nested = await post('Provider "Provider "x" is not available" is not available')
  t.same(nested.params, { provider: 'Provider "x" is not available' })
  const empty = await post('Provider "" is not available')
  t.same([empty.code, empty.matched_by], [null, 'status'], 'an empty provider is no match')
  const json = await post(JSON.stringify({ error: 'Provider "' + '" is not available'.repeat(400) }), 400, 'application/json')
  t.same([json.source, json.code, json.matched_by], ['onecli', 'app_provider_unavailable', 'message_template'])
  t.equal(json.params.provider?.length, 257, 'the captured value is bounded')
})

test('a synthetic multi-placeholder template: hostile inputs answer right', async (t) => {
  const { app } = await build(t, { catalog: syntheticCatalog() })
  const post = async (body: string) => {
    const res = await app.inject({ method: 'POST', url: '/classify?status=400', headers: { 'content-type': 'text/plain' }, payload: body })
    t.equal(res.statusCode, 200)
    return res.json() as Classification
  }
  t.same((await post('x: y: z!')).params, { a: 'x', b: 'y', c: 'z' })
  t.same((await post(':: :: :!')).params, { a: ':', b: ':', c: ':' }, 'the separators\' own characters as values')
  t.equal((await post(': : : !')).code, null, 'no split of ": : : !" gives three non-empty parts')
  t.equal((await post(': '.repeat(30_000) + '!')).code, 'three_part', "': ' repeated across every piece")
  t.equal((await post(': '.repeat(30_000))).code, null, 'no closing piece')
  t.equal((await post('a'.repeat(60_000) + '!')).code, null, 'no separator at all')
  t.equal((await post('a: b!')).code, null, 'one separator short')
  t.equal((await post('!'.repeat(60_000))).code, null, 'only the closing piece')
  const long = await post('a: b: ' + 'c'.repeat(60_000) + '!')
  t.same([long.code, long.params.a, long.params.b, long.params.c?.length], ['three_part', 'a', 'b', 257])
  const quoted = await post('Value "' + '" of '.repeat(10_000) + 'x is not allowed')
  t.same([quoted.code, quoted.params.value], ['quoted_value', '" of '], 'the leftmost middle piece after at least one character')
  t.match(quoted.params.field, /^" of " of /)
  t.equal(quoted.params.field?.length, 257, 'the rest, bounded')
  t.equal((await post('Synthetic failure')).code, 'plain_message')
})

test('/classify accepts text/html, application/problem+json and a missing content type, within bodyLimit', async (t) => {
  const { app } = await build(t)
  const types: Array<string | null> = ['text/html', 'text/html; charset=iso-8859-1', 'application/problem+json', null, 'application/octet-stream', 'image/png', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded', 'text/event-stream', 'application/xml']
  for (const type of types) {
    const headers = type === null ? {} : { 'content-type': type }
    const ok = await app.inject({ method: 'POST', url: '/classify?status=404', headers, payload: 'Agent not found' })
    t.equal(ok.statusCode, 200, `${type ?? 'no content type'}: accepted`)
    t.equal(ok.json().code, 'agent_not_found', `${type ?? 'no content type'}: classified`)
    const atLimit = await app.inject({ method: 'POST', url: '/classify?status=404', headers, payload: Buffer.alloc(MiB, 0x61) })
    t.equal(atLimit.statusCode, 200, `${type ?? 'no content type'}: exactly 1 MiB is accepted`)
    const over = await app.inject({ method: 'POST', url: '/classify?status=404', headers, payload: Buffer.alloc(MiB + 1, 0x61) })
    t.equal(over.statusCode, 413, `${type ?? 'no content type'}: 1 MiB + 1 byte is refused`)
    t.match(over.headers['content-type'], PROBLEM_TYPE)
    t.match(over.json(), { type: 'urn:errcat:problem:payload-too-large', status: 413, instance: '/classify' })
  }
  const empty = await app.inject({ method: 'POST', url: '/classify?status=503' })
  t.equal(empty.statusCode, 200, 'no body at all')
  t.match(empty.json(), { normalized_code: 'unavailable', message: null })
})

test('/classify accepts a malformed content-type header too: the upstream\'s header is forwarded as is',
  async (t) => {
    const { app } = await build(t)
    for (const type of ['', ' ', 'garbage', ';;;', 'text', '\u00e9/\u00e9', 'application/json;;', '/']) {
      const res = await app.inject({ method: 'POST', url: '/classify?status=404', headers: { 'content-type': type }, payload: 'Agent not found' })
      t.equal(res.statusCode, 200, `${JSON.stringify(type)} is accepted`)
    }
  })

// ---------------------------------------------------------------------------
// 2. Limits with clear problem answers
// ---------------------------------------------------------------------------

test('limits: 413 over 1 MiB, 400 over 100 items, 400 naming the field for a bad status or source, 414 for a long code', async (t) => {
  const { app } = await build(t)
  const problem = (res: LightMyRequestResponse, status: number) => {
    t.equal(res.statusCode, status)
    t.match(res.headers['content-type'], PROBLEM_TYPE)
    const body = res.json() as Record<string, unknown>
    t.ok(validProblem(body), `a Problem: ${JSON.stringify(validProblem.errors)}`)
    t.equal(body.status, status, 'the problem repeats the status')
    return body
  }

  t.match(problem(await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'application/json' }, payload: '"' + 'x'.repeat(MiB) + '"' }), 413),
    { type: 'urn:errcat:problem:payload-too-large' })
  t.match(problem(await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ items: [{ body: 'x'.repeat(MiB) }] }) }), 413),
    { type: 'urn:errcat:problem:payload-too-large', instance: '/classify/batch' })

  const hundred = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 100 }, () => ({ status: 503 })) } })
  t.equal(hundred.statusCode, 200, '100 items is the limit')
  t.equal(hundred.json().results.length, 100)
  t.match(problem(await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 101 }, () => ({})) } }), 400),
    { type: 'urn:errcat:problem:validation', field: 'items', detail: /100/ })
  t.match(problem(await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 10_000 }, () => 0) } }), 400),
    { field: 'items' })

  for (const bad of ['abc', '999', '-1', '99', '600', '4.5', '', '1e3', '%00', '404abc']) {
    const body = problem(await app.inject({ method: 'POST', url: `/classify?status=${bad}`, headers: { 'content-type': 'text/plain' }, payload: 'x' }), 400)
    t.match(body, { type: 'urn:errcat:problem:validation', field: 'status', detail: /"status"/ }, `status=${bad}`)
  }
  for (const bad of ['abc', 999, -1, 4.5, true, { code: 404 }]) {
    const body = problem(await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ status: 404 }, { status: bad }] } }), 400)
    t.match(body, { field: 'items.1.status' }, `batch status ${JSON.stringify(bad)}`)
  }

  for (const url of ['/classify?source=nope', '/classify?source=__proto__', '/classify?source=constructor', '/classify?source=toString']) {
    const body = problem(await app.inject({ method: 'POST', url, headers: { 'content-type': 'text/plain' }, payload: 'x' }), 400)
    t.match(body, { type: 'urn:errcat:problem:unknown-source', field: 'source', valid_values: SOURCE_IDS }, url)
  }
  t.match(problem(await app.inject({ method: 'POST', url: '/classify?source=' + 's'.repeat(65), payload: 'x' }), 400), { field: 'source' })
  t.match(problem(await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{}, {}, { source: '__proto__' }] } }), 400),
    { type: 'urn:errcat:problem:unknown-source', field: 'items.2.source' })
  t.match(problem(await app.inject({ url: '/codes/x?source=hasOwnProperty' }), 400), { type: 'urn:errcat:problem:unknown-source', field: 'source' })

  const atLimit = await app.inject({ url: '/codes/' + 'a'.repeat(128) })
  t.equal(atLimit.statusCode, 404, '128 characters is still looked up')
  for (const length of [129, 1000, 100_000]) {
    const body = problem(await app.inject({ url: '/codes/' + 'a'.repeat(length) }), 414)
    t.match(body, { type: 'urn:errcat:problem:uri-too-long' }, `${length} characters`)
    t.ok((body.instance as string).length <= 259, 'the problem instance is bounded')
    t.ok(everyStringBounded(body), 'nothing in the answer is longer than 300 characters')
  }
  const encoded = problem(await app.inject({ url: '/codes/' + '%41'.repeat(129) }), 414)
  t.match(encoded, { type: 'urn:errcat:problem:uri-too-long' }, 'a percent-encoded code over the limit')
})

function everyStringBounded (body: Record<string, unknown>): boolean {
  return Object.values(body).every((value) => typeof value !== 'string' || value.length <= 300)
}

test('everything echoed from the input is bounded: message 513, params 257, request_id 257, problem fields', async (t) => {
  const { app } = await build(t)
  const big = 'm'.repeat(MiB - 64)
  const bodies: Array<[string, string, string]> = [
    ['text', big, 'text/plain'],
    ['json error', JSON.stringify({ error: big }), 'application/json'],
    ['json message', JSON.stringify({ error: { message: big } }), 'application/json'],
    ['problem detail', JSON.stringify({ detail: big }), 'application/problem+json'],
    ['html title', `<html><title>${big}</title></html>`, 'text/html'],
    ['sse data', `data: ${big}`, 'text/event-stream'],
    ['truncated json', `{"message":"${'m'.repeat(400)}\\u00e9${'m'.repeat(400)}", "x": "${big.slice(1000)}`, 'application/json'],
    ['json string', JSON.stringify(big), 'application/json']
  ]
  for (const [name, body, type] of bodies) {
    const res = await app.inject({ method: 'POST', url: '/classify?status=400', headers: { 'content-type': type }, payload: body })
    t.equal(res.statusCode, 200, name)
    const message = res.json().message as string
    t.ok(message.length >= 500 && message.length <= 513, `${name}: the message is echoed and bounded (${message.length})`)
    const text = await app.inject({ method: 'POST', url: '/classify?status=400&format=text', headers: { 'content-type': type }, payload: body })
    t.ok(text.body.length < 4096, `${name}: the text answer is bounded (${text.body.length})`)
  }
  const template = await app.inject({ method: 'POST', url: '/classify?status=404', headers: { 'content-type': 'text/plain' }, payload: 'Unknown provider: ' + 'p'.repeat(MiB - 64) })
  t.same([template.json().code, template.json().params.provider.length], ['app_provider_unknown', 257], 'a captured value is bounded')
  const batch = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ body: 'b'.repeat(MiB / 2) }, { body: { error: { message: 'c'.repeat(MiB / 4) } } }] } })
  t.same(batch.json().results.map((r: Classification) => r.message?.length), [513, 513], 'batch messages are bounded')

  const longPath = await app.inject({ url: '/' + 'p'.repeat(50_000) + '?q=' + 'q'.repeat(1000) })
  t.equal(longPath.statusCode, 404)
  const problem = longPath.json() as Record<string, string>
  t.ok(problem.instance!.length <= 259 && problem.detail!.length <= 300, 'a 404 for a long path is bounded')
  t.notOk(longPath.body.includes('qqq'), 'the query string is never echoed')
})

// ---------------------------------------------------------------------------
// 3. Request ids and log hygiene
// ---------------------------------------------------------------------------

/** Every log line, serialized, for substring checks. */
function logText (logs: LogLine[]): string {
  return logs.map((line) => JSON.stringify(line)).join('\n')
}

test('a malformed, oversized, duplicated or control-character x-request-id is replaced, never echoed nor logged', async (t) => {
  const { app, logs } = await build(t)
  const bad: Array<[string, string | string[]]> = [
    ['space', 'rid1mark has space'],
    ['json', '{"rid2mark":1}'],
    ['unicode', 'rid3mark-\u00fcn\u00efc\u00f6d\u00e9'],
    ['oversized 129', 'rid4mark' + 'x'.repeat(121)],
    ['oversized 100 KB', 'rid5mark' + 'y'.repeat(100_000)],
    ['duplicated (array)', ['rid6mark-a', 'rid6mark-a']],
    ['duplicated (two values)', ['rid7mark-a', 'rid7mark-b']],
    ['duplicated (joined by Node)', 'rid8mark-a, rid8mark-b'],
    ['BEL', 'rid9mark\u0007bell'],
    ['CRLF log forging', 'rid10mark\r\n{"level":60,"msg":"forged"}'],
    ['LF', 'rid11mark\nnext'],
    ['NUL', 'rid12mark\u0000x'],
    ['ESC', 'rid13mark\u001b[31mred'],
    ['tab', 'rid14mark\tx'],
    ['DEL', 'rid15mark\u007f'],
    ['U+2028', 'rid16mark\u2028x']
  ]
  const requests = (id: string | string[]): InjectOptions[] => [
    { url: '/healthz', headers: { 'x-request-id': id } },
    { method: 'POST', url: '/classify?status=404', headers: { 'x-request-id': id, 'content-type': 'text/plain' }, payload: 'Agent not found' },
    { method: 'POST', url: '/classify?status=abc', headers: { 'x-request-id': id, 'content-type': 'text/plain' }, payload: 'x' },
    { method: 'POST', url: '/classify/batch', headers: { 'x-request-id': id }, payload: { items: [{ status: 500 }] } },
    { url: '/codes/no_such_code_here', headers: { 'x-request-id': id } },
    { url: '/codes/' + 'a'.repeat(200), headers: { 'x-request-id': id } },
    { url: '/no/such/route', headers: { 'x-request-id': id } }
  ]
  for (const [name, id] of bad) {
    const marker = (Array.isArray(id) ? id[0] as string : id).match(/rid\d+mark/)?.[0] as string
    for (const request of requests(id)) {
      const res = await app.inject(request)
      const answered = res.headers['x-request-id'] as string
      t.match(answered, uuid, `${name} on ${request.url}: replaced by a UUID`)
      t.notOk(res.body.includes(marker), `${name} on ${request.url}: not in the answer body`)
      if (res.statusCode >= 400) t.equal(res.json().request_id, answered, `${name} on ${request.url}: the problem names the new id`)
    }
    t.notOk(logText(logs).includes(marker), `${name}: never logged`)
  }
  t.notOk(logs.some((line) => line.msg === 'forged'), 'no forged log line')
  t.ok(logs.every((line) => line.request_id === undefined || uuid.test(line.request_id)), 'every logged id is a generated UUID')
})

/** A marker that can pass as a platform code, so a leak would show wherever a body value lands. */
const MARKER = 'Zq7xMarkerQ'

test('nothing from a body reaches the logs (the marker outside code positions)', async (t) => {
  const { app, logs } = await build(t)
  const M = MARKER
  const raw: Array<[string, string | Buffer, string | null, string]> = [
    ['plain text', `${M} happened`, 'text/plain', '?status=500'],
    ['a flat error message', JSON.stringify({ error: `${M} happened` }), 'application/json', '?status=404'],
    ['a nested message', JSON.stringify({ error: { message: M, type: `${M} type` } }), 'application/json', ''],
    ['a problem detail', JSON.stringify({ title: M, detail: M, instance: M }), 'application/problem+json', ''],
    ['a request id', JSON.stringify({ error: 'boom', request_id: M, meta: { request_id: M } }), 'application/json', ''],
    ['a template value', `Unknown provider: ${M}`, 'text/plain', '?status=404'],
    ['a template value in JSON', JSON.stringify({ error: `Provider "${M}" is not available` }), 'application/json', ''],
    ['an HTML title', `<html><title>${M}</title><h1>${M}</h1></html>`, 'text/html', ''],
    ['SSE data', `event: error\ndata: ${M}\n\n`, 'text/event-stream', ''],
    ['SSE JSON', `event: error\ndata: {"error":{"message":"${M}"}}\n\n`, 'text/event-stream', ''],
    ['truncated JSON', `{"error":{"message":"${M}","request_id":"${M}`, 'application/json', ''],
    ['invalid JSON', `{"${M}": ${M}}`, 'application/json', '?status=400'],
    ['no content type', M + ' no type', null, ''],
    ['bytes', Buffer.concat([Buffer.from(M), Buffer.from([0xff, 0xfe, 0x00])]), 'application/octet-stream', ''],
    ['a 1 MiB body', (M + ' ').repeat(Math.floor(MiB / (M.length + 1))), 'text/plain', ''],
    ['over the body limit', M + 'x'.repeat(MiB), 'text/plain', ''],
    ['a bad status beside a body', M, 'text/plain', '?status=abc'],
    ['an unknown source beside a body', M, 'text/plain', '?source=nope'],
    ['retry fields', JSON.stringify({ error: { message: M, retry_after: M, retry_strategy: { initial_delay_ms: M } } }), 'application/json', '']
  ]
  for (const [name, payload, type, query] of raw) {
    const res = await app.inject({ method: 'POST', url: '/classify' + query, headers: type === null ? {} : { 'content-type': type }, payload })
    t.ok(res.statusCode < 500, `${name}: answered ${res.statusCode}`)
  }
  const batches: Array<[string, string]> = [
    ['batch bodies', JSON.stringify({ items: [{ body: M }, { body: { error: M } }, { body: { error: { message: M } } }, { body: [M] }, { content_type: `text/${M}`, body: M }] })],
    ['batch headers', JSON.stringify({ items: [{ headers: { 'x-request-id': M, 'retry-after': M, [`x-${M}`]: M } }] })],
    ['batch bad status', JSON.stringify({ items: [{ status: M, body: M }] })],
    ['batch unknown key', JSON.stringify({ [M]: M, items: [{ [M]: M }] })],
    ['batch unknown source', JSON.stringify({ items: [{ source: `${M}src`, body: M }] })],
    ['batch invalid JSON', `{"items":[{"body":"${M}"`],
    ['batch proto keys', `{"items":[{"body":"${M}","__proto__":{"${M}":1}}]}`],
    ['batch too large', JSON.stringify({ items: [{ body: M + 'x'.repeat(MiB) }] })]
  ]
  for (const [name, payload] of batches) {
    const res = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload })
    t.ok(res.statusCode < 500, `${name}: answered ${res.statusCode}`)
  }
  const wrongType = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'text/plain' }, payload: M })
  t.ok(wrongType.statusCode >= 400 && wrongType.statusCode < 500, 'a batch as text/plain is a 4xx')

  t.ok(logs.length >= raw.length + batches.length, 'requests were logged')
  const written = logText(logs)
  t.notOk(written.includes(M), 'no log line contains the marker')
  t.notOk(written.includes('happened'), 'no message text is logged')
  const metrics = await app.inject({ url: '/metrics' })
  t.notOk(metrics.body.includes(M), 'nor does any metric label')
})

test('nothing from a body reaches the logs: an upstream code the catalog does not know is not logged either',
  async (t) => {
    const { app, logs } = await build(t)
    // One marker per shape, so each leak is reported on its own.
    const bodies: Array<[string, (m: string) => string, string]> = [
      ['error.code', (m) => JSON.stringify({ error: { code: m, message: 'x' } }), 'application/json'],
      ['top-level code', (m) => JSON.stringify({ error: 'boom', code: m }), 'application/json'],
      ['bare error code', (m) => JSON.stringify({ error: `${m}_CODE` }), 'application/json'],
      ['a pattern rule match', (m) => JSON.stringify({ error: { code: `${m.toUpperCase()}_NOT_FOUND`, message: 'x' } }), 'application/json'],
      ['a gRPC status name', (m) => JSON.stringify({ error: { code: 404, status: m.toUpperCase() } }), 'application/json'],
      ['SSE data code', (m) => `event: error\ndata: {"error":{"code":"${m}"}}\n\n`, 'text/event-stream'],
      ['truncated JSON code', (m) => `{"error":{"code":"${m}","message":"x`, 'application/json']
    ]
    for (const [i, [name, payload, type]] of bodies.entries()) {
      const marker = `${MARKER}${i}x`
      const res = await app.inject({ method: 'POST', url: '/classify?status=404', headers: { 'content-type': type }, payload: payload(marker) })
      t.equal(res.statusCode, 200, name)
      t.notOk(logText(logs).toLowerCase().includes(marker.toLowerCase()), `${name}: the body's code is not logged`)
    }
    const marker = `${MARKER}Batch`
    const batch = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ body: { error: { code: marker } } }] } })
    t.equal(batch.statusCode, 200)
    t.notOk(logText(logs).includes(marker), 'a batch item\'s code is not logged')
  })

test('a catalog code is logged as the catalog spells it (the completion line stays useful)', async (t) => {
  const { app, logs } = await build(t)
  await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'content-type': 'application/json', 'x-request-id': 'log-known-1' }, payload: '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"slow down"}}' })
  const line = logs.find((l) => l.request_id === 'log-known-1' && l.msg === 'request completed')
  t.match(line, { classification: { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', normalized_code: 'rate_limited', matched_by: 'code' } })
  t.notOk(logText(logs).includes('slow down'), 'the message is not logged')
})

test('upstream header values are bounded and never logged', async (t) => {
  const { app, logs } = await build(t)
  const huge = 'UpHdrMark' + 'u'.repeat(100_000)
  const res = await app.inject({
    method: 'POST',
    url: '/classify?status=500',
    headers: {
      'content-type': 'text/plain',
      'x-upstream-x-request-id': huge,
      'x-upstream-retry-after': huge,
      'x-upstream-retry-after-ms': huge,
      'x-upstream-x-should-retry': huge
    },
    payload: 'boom'
  })
  t.equal(res.statusCode, 200)
  const answer = res.json() as Classification
  t.ok([huge.slice(0, 256), huge.slice(0, 256) + '…'].includes(answer.request_id as string),
    `the upstream request id is cut to 256 characters, at most 257 with an ellipsis (${answer.request_id?.length})`)
  t.equal(answer.normalized_code, 'internal')
  t.ok(res.body.length < 4096, `the whole answer is bounded (${res.body.length})`)
  t.notOk(res.body.includes('u'.repeat(300)), 'no longer run of the header is echoed')
  const text = await app.inject({ method: 'POST', url: '/classify?status=500&format=text', headers: { 'content-type': 'text/plain', 'x-upstream-x-request-id': huge }, payload: 'boom' })
  t.ok(text.body.length < 4096, `the text answer is bounded (${text.body.length})`)

  const controls = await app.inject({ method: 'POST', url: '/classify?status=500', headers: { 'content-type': 'text/plain', 'x-upstream-x-request-id': 'UpHdrMark\r\n{"level":60}' }, payload: 'boom' })
  t.equal(controls.statusCode, 200)

  const batch = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    payload: { items: [{ status: 500, headers: { 'x-request-id': 'UpHdrMark' + 'b'.repeat(8000), 'Retry-After': 'UpHdrMark' } }] }
  })
  t.equal(batch.statusCode, 200)
  const itemId = batch.json().results[0].request_id as string
  t.ok(itemId.startsWith('UpHdrMark') && itemId.length <= 257, `a batch item's header is bounded the same way (${itemId.length})`)
  const tooLong = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ headers: { 'x-request-id': 'UpHdrMark' + 'b'.repeat(9000) } }] } })
  t.equal(tooLong.statusCode, 400, 'a batch header value over 8192 characters is a 400')
  t.match(tooLong.json(), { field: 'items.0.headers.x-request-id' })
  t.notOk(logText(logs).includes('UpHdrMark'), 'no upstream header value is logged')
})

test('X-Forwarded-For, -Host and -Proto are not trusted and change nothing', async (t) => {
  const { app, logs } = await build(t)
  app.get('/__peer', async (request) => ({ ip: request.ip, ips: request.ips ?? null, host: request.hostname, protocol: request.protocol }))
  const forwarded = { 'x-forwarded-for': '203.0.113.66, 198.51.100.7', 'x-forwarded-host': 'fwdhost.evil.example', 'x-forwarded-proto': 'https', forwarded: 'for=203.0.113.66;host=fwdhost.evil.example;proto=https' }
  const plain = await app.inject({ url: '/__peer' })
  const spoofed = await app.inject({ url: '/__peer', headers: forwarded })
  t.same(spoofed.json(), plain.json(), 'the peer is the socket\'s, whatever the headers say')
  t.same(spoofed.json(), { ip: '127.0.0.1', ips: null, host: 'localhost', protocol: 'http' })

  const requests: InjectOptions[] = [
    { method: 'POST', url: '/classify?status=404', headers: { 'content-type': 'text/plain' }, payload: 'Agent not found' },
    { method: 'POST', url: '/classify?status=abc', headers: { 'content-type': 'text/plain' }, payload: 'x' },
    { method: 'POST', url: '/classify/batch', payload: { items: [{ status: 429 }] } },
    { url: '/codes/scope_insufficient' },
    { url: '/codes/nope_nope' },
    { url: '/no/route' }
  ]
  for (const request of requests) {
    const id = { 'x-request-id': 'fwd-check-1' }
    const without = await app.inject({ ...request, headers: { ...request.headers, ...id } })
    const withHeaders = await app.inject({ ...request, headers: { ...request.headers, ...id, ...forwarded } })
    t.equal(withHeaders.statusCode, without.statusCode, `${request.url}: same status`)
    t.equal(withHeaders.body, without.body, `${request.url}: the same answer, problem instance included`)
  }
  const written = logText(logs)
  t.notOk(written.includes('203.0.113.66') || written.includes('fwdhost') || written.includes('198.51.100.7'), 'forwarded values never reach the logs')
})

// ---------------------------------------------------------------------------
// 4. Linear time: 1 MiB adversarial bodies get the right answer
// ---------------------------------------------------------------------------

test('1 MiB adversarial bodies are answered with the right classification', async (t) => {
  const { app } = await build(t)
  const synthetic = await build(t, { catalog: syntheticCatalog() })
  const fill = (prefix: string, unit: string, suffix = ''): string => prefix + unit.repeat(Math.floor((MiB - prefix.length - suffix.length) / unit.length)) + suffix
  const cases: Array<[string, App, string, string, string, Partial<Classification>]> = [
    ['": " across the pieces, the first line within the scan (synthetic)', synthetic.app, 'x' + ': '.repeat(30_000) + '!\n' + 'z'.repeat(MiB - 60_003), 'text/plain', '?status=400',
      { code: 'three_part', source: 'synthetic', matched_by: 'message_template' }],
    ['": " in a JSON message (synthetic)', synthetic.app, JSON.stringify({ message: 'x' + ': '.repeat(2000) + '!' }) + ' '.repeat(MiB - 4100), 'application/json', '?status=400',
      { code: 'three_part', source: 'synthetic', matched_by: 'message_template' }],
    ['300,000 spaces', app, ' '.repeat(300_000), 'text/plain', '?status=503', { normalized_code: 'unavailable', matched_by: 'status', message: null }],
    ['300,000 spaces then a message', app, ' '.repeat(300_000) + 'Agent not found', 'text/plain', '?status=404', { code: 'agent_not_found', matched_by: 'message' }],
    ['300,000 spaces inside a template', app, 'Unknown provider: ' + ' '.repeat(300_000) + 'x', 'text/plain', '?status=404', { code: null, matched_by: 'status', normalized_code: 'not_found' }],
    ['(a+)+! style', app, fill('', 'a', '!'), 'text/plain', '?status=500', { code: null, matched_by: 'status', normalized_code: 'internal' }],
    ['(a+)+! style in JSON', app, JSON.stringify({ error: 'a'.repeat(MiB - 32) + '!' }), 'application/json', '?status=500', { code: null, source: null, normalized_code: 'internal' }],
    ['(a+)+! style against the synthetic template', synthetic.app, 'a'.repeat(60_000) + '!\n' + 'a'.repeat(MiB - 60_002), 'text/plain', '?status=500',
      { code: null, matched_by: 'status', normalized_code: 'internal' }],
    ['"Unknown provider: " then 1 MiB', app, fill('Unknown provider: ', 'q'), 'text/plain', '?status=404', { code: 'app_provider_unknown', source: 'onecli', matched_by: 'message_template' }],
    ['"Unknown provider: " then 1 MiB of ": "', app, fill('Unknown provider: ', ': '), 'text/plain', '?status=404', { code: 'app_provider_unknown', matched_by: 'message_template' }],
    ['"Provider \\"" then 1 MiB without the closing piece', app, fill('Provider "', 'v'), 'text/plain', '?status=400', { code: null, source: null, matched_by: 'status', normalized_code: 'invalid_request' }],
    ['"Provider \\"" then 1 MiB of quotes', app, fill('Provider "', '"'), 'text/plain', '?status=400', { code: null, matched_by: 'status', normalized_code: 'invalid_request' }],
    ['SSE: an error event then 1 MiB of data lines', app, fill('event: error\ndata: {"error":{"code":"BACKEND_RATE_LIMITED","message":"Rate limited"}}\n\n', 'data: x\n'), 'text/event-stream', '',
      { code: 'BACKEND_RATE_LIMITED', source: 'scaigrid', normalized_code: 'rate_limited', matched_by: 'code' }],
    ['SSE: 1 MiB in one data line', app, fill('event: error\ndata: ', 'd'), 'text/event-stream', '?status=503', { source: null, normalized_code: 'unavailable' }],
    ['SSE: 1 MiB of bare newlines after the error', app, fill('event: error\ndata: {"error":{"code":"BACKEND_RATE_LIMITED"}}\n', '\n'), 'text/event-stream', '',
      { code: 'BACKEND_RATE_LIMITED', normalized_code: 'rate_limited' }],
    ['HTML: an unclosed <title> then 1 MiB', app, fill('<html><title>502 Bad Gateway ', 'h'), 'text/html', '', { normalized_code: 'upstream_error', http_status: 502, matched_by: 'status' }],
    ['HTML: an unclosed <title> then 1 MiB of tags', app, fill('<html><title>504 Gateway Time-out', '<b'), 'text/html', '', { normalized_code: 'timeout', http_status: 504 }],
    ['HTML: 1 MiB of opening tags', app, fill('<html>', '<title>'), 'text/html', '?status=502', { normalized_code: 'upstream_error', matched_by: 'status' }],
    ['truncated JSON: a message that never closes', app, fill('{"error":{"code":"internal_error","message":"', '\\\\'), 'application/json', '?status=500',
      { code: 'internal_error', normalized_code: 'internal' }],
    ['JSON: 1 MiB of unmatched quotes after a code', app, fill('{"code":"sandbox_not_found","error":"', '\\"'), 'application/json', '?status=404',
      { code: 'sandbox_not_found', source: 'nullspace', normalized_code: 'not_found' }]
  ]
  // Each first line lies within the engine's scan of a text body, or the answer does not
  // depend on where the scan stops: the classification is the one the whole body deserves.
  for (const [name, target, body, type, query, expected] of cases) {
    t.ok(Buffer.byteLength(body) <= MiB, `${name}: within the body limit`)
    const res = await target.inject({ method: 'POST', url: '/classify' + query, headers: { 'content-type': type }, payload: body })
    t.equal(res.statusCode, 200, `${name}: answered`)
    const answer = res.json() as Classification
    const picked = Object.fromEntries(Object.keys(expected).map((key) => [key, answer[key as keyof Classification]]))
    t.same(picked, expected, name)
  }
})

// POST /classify, POST /classify/batch and the engine behind them (issue 5).
// The upstream example bodies are data: test/fixtures/upstream-bodies.json,
// copied from the platforms notes (platforms.md) and the seed pages, with what each must give.
import { readFileSync } from 'node:fs'
import { test } from 'tap'
import { build, bundledCatalog, SOURCE_IDS } from '../helper.js'
import { classify, STANDARD_HEADERS, type Classification, type ClassifyInput, type ClassifyOptions } from '../../src/engine/classify.js'
import { UnknownSourceError } from '../../src/engine/errors.js'
import type { FastifyInstance } from 'fastify'

interface UpstreamBody {
  name: string
  source: string | null
  origin: string
  status: number | null
  headers: Record<string, string>
  content_type: string | null
  body: string
  expect: Record<string, unknown>
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/upstream-bodies.json', import.meta.url), 'utf8')) as { bodies: UpstreamBody[] }
const bodies = fixture.bodies

type App = FastifyInstance

const UPSTREAM = 'x-upstream-'

/** The fields of `actual` named by `expected`, nested one level for retry, to compare with t.same. */
function pick (actual: Classification, expected: Record<string, unknown>): Record<string, unknown> {
  const picked: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(expected)) {
    const got = (actual as unknown as Record<string, unknown>)[key]
    if (key === 'retry' && typeof value === 'object' && value !== null && typeof got === 'object' && got !== null) {
      picked[key] = Object.fromEntries(Object.keys(value).map((name) => [name, (got as Record<string, unknown>)[name]]))
    } else {
      picked[key] = got
    }
  }
  return picked
}

async function engine (input: ClassifyInput, options: ClassifyOptions = {}): Promise<Classification> {
  return classify(input, await bundledCatalog(), options)
}

interface RawCall {
  body?: string | Buffer
  status?: number | string | null
  source?: string
  format?: string
  contentType?: string | null
  headers?: Record<string, string>
}

/** POST /classify in raw mode; `headers` are the upstream's, sent with the x-upstream- prefix. */
async function postRaw (app: App, call: RawCall) {
  const query = new URLSearchParams()
  if (call.status !== undefined && call.status !== null) query.set('status', String(call.status))
  if (call.source !== undefined) query.set('source', call.source)
  if (call.format !== undefined) query.set('format', call.format)
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(call.headers ?? {})) headers[UPSTREAM + name] = value
  if (call.contentType !== undefined && call.contentType !== null) headers['content-type'] = call.contentType
  const qs = query.toString()
  return app.inject({
    method: 'POST',
    url: '/classify' + (qs === '' ? '' : '?' + qs),
    headers,
    ...(call.body === undefined ? {} : { payload: call.body })
  })
}

function inputOf (example: UpstreamBody): ClassifyInput {
  return { body: example.body, status: example.status, headers: example.headers, contentType: example.content_type }
}

const J = JSON.stringify

// ---------------------------------------------------------------------------
// Every example body
// ---------------------------------------------------------------------------

test('every upstream example body classifies to its source, code and normalized code (engine)', async (t) => {
  t.ok(bodies.length >= 40, 'the fixture holds the examples')
  for (const example of bodies) {
    t.test(example.name, async (t) => {
      const result = await engine(inputOf(example))
      t.same(pick(result, example.expect), example.expect)
      if (example.expect.source !== undefined) t.equal(result.source, example.source, 'the fixture names the platform the example comes from')
    })
  }
})

test('every upstream example body gets the same answer from POST /classify (raw mode, x-upstream- headers)', async (t) => {
  const { app } = await build(t)
  for (const example of bodies) {
    t.test(example.name, async (t) => {
      const res = await postRaw(app, { body: example.body, status: example.status, contentType: example.content_type, headers: example.headers })
      t.equal(res.statusCode, 200)
      t.match(res.headers['content-type'], /^application\/json/)
      const answer = res.json() as Classification
      t.same(pick(answer, example.expect), example.expect)
      t.same(answer, await engine(inputOf(example)), 'the route is a thin adapter over the engine')
    })
  }
})

test('each upstream header errcat reads, sent with the x-upstream- prefix, reaches the engine', async (t) => {
  const { app } = await build(t)
  const body = J({ error: { message: 'Rate limit exceeded', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } })
  // A value for each header that changes the answer, so a header the route drops shows.
  const changing: Record<string, string> = {
    'retry-after': '7',
    'retry-after-ms': '1500',
    'x-ms-retry-after-ms': '2500',
    ratelimit: '"default";r=0;t=9',
    'ratelimit-reset': '11',
    'ratelimit-remaining': '0',
    'x-request-id': 'up-77',
    'x-should-retry': 'false',
    'grpc-status': '14',
    'grpc-message': 'no%20healthy%20upstream'
  }
  // gRPC's trailers-only answer: HTTP 200, nothing in the body.
  const grpc = new Set(['grpc-status', 'grpc-message'])
  // A header that matters only beside another, sent with it: a used-up count makes a reset count on a bare 503.
  const companions: Record<string, Record<string, string>> = { 'ratelimit-remaining': { 'ratelimit-reset': '11' } }
  t.same(Object.keys(changing).sort(), [...STANDARD_HEADERS].sort(), 'a value for every standard header')
  for (const name of STANDARD_HEADERS) {
    const value = changing[name] as string
    const companion = companions[name] ?? {}
    const input = grpc.has(name) ? { status: 200, body: '' } : name in companions ? { status: 503, body: '' } : { status: 429, body }
    const res = await postRaw(app, { ...input, contentType: 'application/json', headers: { ...companion, [name]: value } })
    const expected = await engine({ ...input, headers: { ...companion, [name]: value } })
    t.notSame(expected, await engine({ ...input, headers: companion }), `${name} changes the engine's answer`)
    t.same(res.json(), expected, `x-upstream-${name} reaches the engine`)
  }
})

// ---------------------------------------------------------------------------
// Source detection and cross-platform collisions
// ---------------------------------------------------------------------------

test('cross-platform code collisions are settled by the envelope, never by chance', async (t) => {
  const cases: Array<[string, ClassifyInput, Record<string, unknown>]> = [
    ['capacity_exceeded in a xerotier envelope',
      { status: 429, body: J({ error: { message: 'The fleet is saturated', type: 'rate_limit_error', code: 'capacity_exceeded', param: null } }) },
      { source: 'xerotier', code: 'capacity_exceeded', normalized_code: 'unavailable', matched_by: 'code' }],
    ['capacity_exceeded in a nullspace envelope',
      { status: 429, body: J({ error: 'The request exceeds the capacity limit.', code: 'capacity_exceeded', request_id: 'req_c1' }) },
      { source: 'nullspace', code: 'capacity_exceeded', normalized_code: 'quota_exceeded', matched_by: 'code', request_id: 'req_c1' }],
    // OpenAI's envelope is Xerotier's too, and both hold this code: no source, two candidates that agree.
    ['rate_limit_exceeded in the OpenAI envelope that xerotier shares',
      { status: 429, body: J({ error: { message: 'Rate limit exceeded', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null } }) },
      { source: null, candidates: ['openai', 'xerotier'], code: 'rate_limit_exceeded', normalized_code: 'rate_limited', matched_by: 'code' }],
    ['rate_limit_exceeded in a nullspace envelope',
      { status: 429, body: J({ error: 'The request hit a rate limit; respect Retry-After before retrying.', code: 'rate_limit_exceeded' }) },
      { source: 'nullspace', code: 'rate_limit_exceeded', normalized_code: 'rate_limited', matched_by: 'code' }],
    ['internal_error in a xerotier envelope',
      { status: 500, body: J({ error: { message: 'Internal server error', type: 'internal_error', code: 'internal_error', param: null } }) },
      { source: 'xerotier', code: 'internal_error', normalized_code: 'internal', matched_by: 'code' }],
    ['internal_error in a nullspace envelope',
      { status: 500, body: J({ error: 'An internal error occurred.', code: 'internal_error', request_id: 'req_i1' }) },
      { source: 'nullspace', code: 'internal_error', normalized_code: 'internal', matched_by: 'code', request_id: 'req_i1' }],
    ['INTERNAL_ERROR in a scaigrid envelope',
      { status: 500, body: J({ status: 'error', error: { code: 'INTERNAL_ERROR', message: 'Unexpected server-side error' }, meta: { request_id: 'req_i2' } }) },
      { source: 'scaigrid', code: 'INTERNAL_ERROR', normalized_code: 'internal', matched_by: 'code', request_id: 'req_i2' }],
    ['QUOTA_EXCEEDED in a scaigrid envelope',
      { status: 429, body: J({ status: 'error', error: { code: 'QUOTA_EXCEEDED', message: 'Hard quota reached' }, meta: { request_id: 'req_q2' } }) },
      { source: 'scaigrid', code: 'QUOTA_EXCEEDED', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['QUOTA_EXCEEDED in a nullspace envelope',
      { status: 429, body: J({ error: 'The request exceeds the quota limit.', code: 'QUOTA_EXCEEDED' }) },
      { source: 'nullspace', code: 'QUOTA_EXCEEDED', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['quota_exceeded in a xerotier envelope',
      { status: 429, body: J({ error: { message: 'Quota exceeded', type: 'rate_limit_error', code: 'quota_exceeded', param: null } }) },
      { source: 'xerotier', code: 'quota_exceeded', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['quota_exceeded in a onecli gateway envelope',
      { status: 429, body: J({ error: 'quota_exceeded', message: 'Monthly quota exceeded' }) },
      { source: 'onecli', code: 'quota_exceeded', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['invalid_request in a xerotier envelope',
      { status: 400, body: J({ error: { message: 'max_tokens must be positive', type: 'invalid_request_error', code: 'invalid_request', param: 'max_tokens' } }) },
      { source: 'xerotier', code: 'invalid_request', normalized_code: 'invalid_request', matched_by: 'code' }],
    ['invalid_request in a nullspace envelope',
      { status: 400, body: J({ error: 'Invalid request.', code: 'invalid_request', error_detail: 'memory_mb must be a multiple of 256' }) },
      { source: 'nullspace', code: 'invalid_request', normalized_code: 'invalid_request', matched_by: 'code' }],
    ['rate_limited in a onecli gateway envelope is not scaigrid RATE_LIMITED',
      { status: 429, body: J({ error: 'rate_limited', message: 'Slow down', limit: 10, window: 'minute' }) },
      { source: 'onecli', code: 'rate_limited', normalized_code: 'rate_limited', matched_by: 'code' }],
    ['RATE_LIMITED in a scaigrid envelope',
      { status: 429, body: J({ status: 'error', error: { code: 'RATE_LIMITED', message: 'Slow down', retry_after: 2 }, meta: { request_id: 'r' } }) },
      { source: 'scaigrid', code: 'RATE_LIMITED', normalized_code: 'rate_limited', matched_by: 'code' }]
  ]
  for (const [name, input, expected] of cases) {
    t.test(name, async (t) => {
      t.same(pick(await engine(input), expected), expected)
    })
  }
})

test('a bare colliding code with no envelope names no source', async (t) => {
  const cases: Array<[string, ClassifyInput, Record<string, unknown>]> = [
    // The two catalogs disagree on the normalized code: the status decides, and no platform is named.
    ['capacity_exceeded, 429', { status: 429, body: J({ code: 'capacity_exceeded' }) },
      { source: null, code: 'capacity_exceeded', normalized_code: 'rate_limited', matched_by: 'status' }],
    ['capacity_exceeded, no status', { body: J({ code: 'capacity_exceeded' }) },
      { source: null, code: 'capacity_exceeded', normalized_code: 'unknown', matched_by: 'none' }],
    ['capacity_exceeded nested without type', { status: 429, body: J({ error: { code: 'capacity_exceeded', message: 'Capacity exceeded' } }) },
      { source: null, code: 'capacity_exceeded' }],
    // The catalogs agree on the normalized code: that much is known, the platform is not.
    ['rate_limit_exceeded', { status: 429, body: J({ code: 'rate_limit_exceeded' }) },
      { source: null, code: 'rate_limit_exceeded', normalized_code: 'rate_limited', matched_by: 'code' }],
    ['internal_error', { status: 500, body: J({ code: 'internal_error' }) },
      { source: null, code: 'internal_error', normalized_code: 'internal', matched_by: 'code' }],
    ['QUOTA_EXCEEDED', { status: 429, body: J({ code: 'QUOTA_EXCEEDED' }) },
      { source: null, code: 'QUOTA_EXCEEDED', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['QUOTA_EXCEEDED as a bare error string', { status: 429, body: J({ error: 'QUOTA_EXCEEDED' }) },
      { source: null, code: 'QUOTA_EXCEEDED', normalized_code: 'quota_exceeded' }],
    ['quota_exceeded', { status: 429, body: J({ code: 'quota_exceeded' }) },
      { source: null, code: 'quota_exceeded', normalized_code: 'quota_exceeded', matched_by: 'code' }],
    ['invalid_request', { status: 400, body: J({ code: 'invalid_request' }) },
      { source: null, code: 'invalid_request', normalized_code: 'invalid_request', matched_by: 'code' }]
  ]
  for (const [name, input, expected] of cases) {
    t.test(name, async (t) => {
      t.same(pick(await engine(input), expected), expected)
    })
  }
})

test('a code in a single catalog settles the source without an envelope', async (t) => {
  t.same(pick(await engine({ status: 404, body: J({ code: 'sandbox_not_found' }) }), { source: null, code: null, normalized_code: null }),
    { source: 'nullspace', code: 'sandbox_not_found', normalized_code: 'not_found' })
  t.same(pick(await engine({ status: 503, body: J({ code: 'MODEL_UNAVAILABLE' }) }), { source: null, code: null, normalized_code: null }),
    { source: 'scaigrid', code: 'MODEL_UNAVAILABLE', normalized_code: 'unavailable' })
  t.same(pick(await engine({ status: 400, body: J({ code: 'json_parse_error' }) }), { source: null, code: null, normalized_code: null }),
    { source: 'xerotier', code: 'json_parse_error', normalized_code: 'invalid_request' })
})

test('a code no catalog lists names no source by its spelling', async (t) => {
  // PayPal, Square, Google and many others spell their codes in UPPER_SNAKE too.
  for (const body of [{ code: 'PAYMENT_DECLINED', message: 'x' }, { error: { code: 'PAYMENT_DECLINED', message: 'x' } }]) {
    t.same(pick(await engine({ status: 402, body: J(body) }), { source: null, candidates: null, code: null, normalized_code: null }),
      { source: null, candidates: [], code: 'PAYMENT_DECLINED', normalized_code: 'billing' }, JSON.stringify(body))
  }
  const listed = await engine({ status: 503, body: J({ error: { code: 'MODEL_UNAVAILABLE', message: 'Model is not available' } }) })
  t.same([listed.source, listed.normalized_code], ['scaigrid', 'unavailable'], 'a code only one catalog lists still settles it')
  t.same(listed.evidence, ["code MODEL_UNAVAILABLE only in scaigrid's catalog"])
})

test('a code many systems send names no source by itself', async (t) => {
  // Notion's, Vercel's and a container registry's bodies, whose codes one catalog or another lists too.
  const cases: Array<[number, unknown, string]> = [
    [429, { object: 'error', status: 429, code: 'rate_limited', message: 'You have been rate limited.' }, 'rate_limited'],
    [403, { error: { code: 'forbidden', message: 'Not authorized' } }, 'permission_denied'],
    [401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, 'unauthenticated'],
    [500, { success: false, error: { code: 'INTERNAL_ERROR', message: 'Something went wrong' } }, 'internal'],
    [429, { error: { code: 'RATE_LIMITED', message: 'Too many requests' } }, 'rate_limited']
  ]
  for (const [status, body, normalized] of cases) {
    const result = await engine({ status, body: J(body) })
    t.same([result.source, result.normalized_code, result.matched_by], [null, normalized, 'code'], JSON.stringify(body))
    t.match(result.evidence.join('; '), /which many systems send/)
  }
  // In its own platform's envelope, or with a hint, the same code is that platform's.
  const enveloped = await engine({ status: 429, body: J({ status: 'error', error: { code: 'RATE_LIMITED', message: 'Slow down' }, meta: {} }) })
  t.same([enveloped.source, enveloped.code], ['scaigrid', 'RATE_LIMITED'])
  const hinted = await engine({ status: 403, source: 'nullspace', body: J({ error: { code: 'forbidden', message: 'Not authorized' } }) })
  t.same([hinted.source, hinted.code], ['nullspace', 'forbidden'])
})

test('a code several sources hold takes the normalized code its wording gives, and still names no source', async (t) => {
  const envelope = (message: string) => J({ error: { message, type: 'invalid_request_error', param: null, code: 'model_not_found' } })
  const worded = await engine({ status: 403, body: envelope('Project `proj_1` does not have access to model `gpt-4o-mini`') })
  t.same(pick(worded, { source: 1, candidates: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: null, candidates: ['openai', 'xerotier'], code: 'model_not_found', normalized_code: 'permission_denied', matched_by: 'code' })
  t.match(worded.evidence.join('; '), /its message fits openai's template "Project `\{project\}` does not have access to model `\{model\}`"/)
  const plain = await engine({ status: 404, body: envelope('No such model') })
  t.same([plain.source, plain.normalized_code], [null, 'not_found'], 'words no source has leave the agreed code')
  t.notMatch(plain.evidence.join('; '), /its message/)
  // An exact message only one of them has is text only that system writes: it names the source.
  const exact = await engine({ status: 404, body: J({ code: 'agent_not_found', message: 'Agent not found' }) })
  t.same(pick(exact, { source: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: 'onecli', code: 'agent_not_found', normalized_code: 'not_found', matched_by: 'message' })
  t.match(exact.evidence.join('; '), /code agent_not_found in onecli and xerotier; message of onecli's agent_not_found/)
})

test('a message hint may show another normalized code, whose default retry policy then applies', async (t) => {
  const quota = (limit: number) => J({
    error: {
      code: 429,
      message: `Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: ${limit}, model: gemini-2.5-pro`,
      status: 'RESOURCE_EXHAUSTED',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '42s' }]
    }
  })
  const zero = await engine({ status: 429, body: quota(0) })
  t.same(pick(zero, { source: 1, code: 1, normalized_code: 1, retry: { retryable: 1 } }),
    { source: 'google', code: 'RESOURCE_EXHAUSTED', normalized_code: 'quota_exceeded', retry: { retryable: false } })
  t.ok(zero.evidence.includes('message says "limit: 0": quota_exceeded'))
  t.match(zero.remediation.action, /^The project has no quota at all for this metric on its tier \(limit: 0\)/)
  const some = await engine({ status: 429, body: quota(10) })
  t.same(pick(some, { normalized_code: 1, retry: { retryable: 1, delay_ms: 1 } }), { normalized_code: 'rate_limited', retry: { retryable: true, delay_ms: 42_000 } })
})

test('a valid source hint wins over detection', async (t) => {
  const xerotierBody = J({ error: { message: 'The fleet is saturated', type: 'rate_limit_error', code: 'capacity_exceeded', param: null } })
  const hinted = await engine({ status: 429, body: xerotierBody, source: 'nullspace' })
  t.same(pick(hinted, { source: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: 'nullspace', code: 'capacity_exceeded', normalized_code: 'quota_exceeded', matched_by: 'code' })

  const bare = await engine({ status: 429, body: J({ code: 'capacity_exceeded' }), source: 'xerotier' })
  t.same(pick(bare, { source: 1, normalized_code: 1 }), { source: 'xerotier', normalized_code: 'unavailable' })

  // A code the hinted source does not know: the hinted source's own status guidance answers.
  const other = await engine({ status: 404, source: 'onecli', body: J({ status: 'error', error: { code: 'MODEL_NOT_FOUND', message: 'No frontend model with that slug' }, meta: {} }) })
  t.same(pick(other, { source: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: 'onecli', code: 'MODEL_NOT_FOUND', normalized_code: 'not_found', matched_by: 'status' })

  const { app } = await build(t)
  const res = await postRaw(app, { body: xerotierBody, status: 429, source: 'nullspace', contentType: 'application/json' })
  t.equal(res.statusCode, 200)
  t.same(pick(res.json(), { source: 1, normalized_code: 1 }), { source: 'nullspace', normalized_code: 'quota_exceeded' })
})

test('a code matched case-insensitively is answered in the catalog spelling; an unknown code keeps its raw spelling', async (t) => {
  const folded = await engine({ status: 404, body: J({ error: { message: 'Workspace not found', type: 'invalid_request_error', code: 'Workspace_Not_Found', param: null } }) })
  t.same(pick(folded, { source: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: 'xerotier', code: 'workspace_not_found', normalized_code: 'not_found', matched_by: 'code' })
  const unknown = await engine({ status: 400, body: J({ error: { message: 'Brand new failure', type: 'invalid_request_error', code: 'brand_new_code', param: null } }) })
  t.same(pick(unknown, { source: 1, candidates: 1, code: 1, normalized_code: 1, matched_by: 1 }),
    { source: null, candidates: ['openai', 'xerotier'], code: 'brand_new_code', normalized_code: 'invalid_request', matched_by: 'status' },
    'OpenAI\'s envelope, which Xerotier shares, with a code neither holds: both fit, and agree on the type')
})

test('the envelope settles a code one catalog spells exactly and the envelope\'s own catalog spells in another case', async (t) => {
  // A full ScaiGrid envelope ({"status":"error", ..., "meta"}) is ScaiGrid, whatever the case of its code.
  const scaigrid = await engine({ status: 404, body: J({ status: 'error', error: { code: 'model_not_found', message: 'No frontend model with that slug' }, meta: { request_id: 'req_lc' } }) })
  t.same(pick(scaigrid, { source: 1, code: 1 }), { source: 'scaigrid', code: 'MODEL_NOT_FOUND' })
  // In the OpenAI-like envelope, a code only Xerotier holds (in another case) is Xerotier's.
  const xerotier = await engine({ status: 404, body: J({ error: { message: 'Workspace not found', type: 'invalid_request_error', code: 'WORKSPACE_NOT_FOUND', param: 'workspace' } }) })
  t.same(pick(xerotier, { source: 1, code: 1 }), { source: 'xerotier', code: 'workspace_not_found' })
  // One that OpenAI holds too settles nothing.
  const either = await engine({ status: 404, body: J({ error: { message: 'Model not found', type: 'invalid_request_error', code: 'model_not_found', param: 'model' } }) })
  t.same(pick(either, { source: 1, candidates: 1, code: 1, normalized_code: 1 }), { source: null, candidates: ['openai', 'xerotier'], code: 'model_not_found', normalized_code: 'not_found' })
  // Spelled as only ScaiGrid spells it, the code is ScaiGrid's, whatever the layout.
  const upper = await engine({ status: 404, body: J({ error: { message: 'Model not found', type: 'invalid_request_error', code: 'MODEL_NOT_FOUND', param: 'model' } }) })
  t.same(pick(upper, { source: 1, code: 1 }), { source: 'scaigrid', code: 'MODEL_NOT_FOUND' })
  // Spelled another way, outside the layouts that fit, it names no source but keeps its meaning.
  const other = await engine({ status: 404, body: J({ error: 'Not found', code: 'user_not_found' }) })
  t.same(pick(other, { source: 1, code: 1, normalized_code: 1 }), { source: null, code: 'user_not_found', normalized_code: 'not_found' })
})

test('onecli: the HTTP status wins over a nested type that disagrees', async (t) => {
  const cases: Array<[number, string, string]> = [
    [409, 'invalid_request_error', 'conflict'],
    [410, 'invalid_request_error', 'gone'],
    [401, 'authentication_error', 'unauthenticated'],
    [403, 'authentication_error', 'permission_denied'],
    [422, 'validation_error', 'invalid_request']
  ]
  for (const [status, type, normalized] of cases) {
    const body = J({ error: { message: 'Something about this call', type } })
    // Stripe sends invalid_request_error in the same layout: only a hint settles OneCLI.
    const shared = type === 'invalid_request_error'
    const result = await engine({ status, body, ...(shared ? { source: 'onecli' } : {}) })
    t.same(pick(result, { source: 1, normalized_code: 1 }), { source: 'onecli', normalized_code: normalized }, `${status} ${type}`)
    if (shared) {
      const unhinted = await engine({ status, body })
      t.same(pick(unhinted, { source: 1, candidates: 1, normalized_code: 1 }), { source: null, candidates: ['onecli', 'stripe'], normalized_code: normalized }, `${status} ${type}, no hint`)
    }
  }
  const declined = await engine({ status: 402, body: J({ error: 'Your card was declined' }) })
  t.same(pick(declined, { normalized_code: 1, retry: { retryable: 1 } }), { normalized_code: 'billing', retry: { retryable: false } }, '402 is a billing state')
  const noRetryAfter = await engine({ status: 429, body: J({ error: 'rate_limited', message: 'Rate limit exceeded', limit: 10, window: 'hour' }) })
  t.same(pick(noRetryAfter, { code: 1, retry: { retryable: 1, strategy: 1, delay_ms: 1 } }),
    { code: 'rate_limited', retry: { retryable: true, strategy: 'exponential_backoff', delay_ms: null } }, 'a rate limit without Retry-After backs off')
})

test('stripe: its support link names it; its api_error layout alone is shared with OneCLI', async (t) => {
  // Stripe's server-error message, as an API client's test quotes it (activemerchant stripe_payment_intents_test.rb).
  const message = 'Error while communicating with one of our backends.  Sorry about that!  We have been notified of the problem.  ' +
    'If you have any questions, we can help at https://support.stripe.com/.'
  const linked = await engine({ status: 500, body: J({ error: { message, type: 'api_error' } }) })
  t.same(pick(linked, { source: 1, normalized_code: 1, retry: { retryable: 1 } }), { source: 'stripe', normalized_code: 'internal', retry: { retryable: true } })
  t.ok(linked.evidence.some((line) => line.includes('support.stripe.com')), 'the evidence names the link')
  const bare = await engine({ status: 500, body: J({ error: { message: 'Something went wrong', type: 'api_error' } }) })
  t.same(pick(bare, { source: 1, candidates: 1, normalized_code: 1 }), { source: null, candidates: ['onecli', 'stripe'], normalized_code: 'internal' })
})

test('the engine rejects an unknown source hint with the valid ids', async (t) => {
  const catalog = await bundledCatalog()
  t.throws(() => classify({ status: 404, source: 'nope' }, catalog), UnknownSourceError)
  try {
    classify({ status: 404, source: 'nope' }, catalog)
  } catch (error) {
    t.same((error as UnknownSourceError).validIds, SOURCE_IDS)
    t.equal((error as UnknownSourceError).source, 'nope')
  }
})

// ---------------------------------------------------------------------------
// Templates and pattern rules
// ---------------------------------------------------------------------------

test('message templates capture params; an exact message beats a template', async (t) => {
  const cases: Array<[string, Record<string, unknown>]> = [
    ['Unknown provider: slack', { code: 'app_provider_unknown', matched_by: 'message_template', params: { provider: 'slack' } }],
    ['Unknown provider: google-drive', { code: 'app_provider_unknown', matched_by: 'message_template', params: { provider: 'google-drive' } }],
    ['Provider "github" is not available', { code: 'app_provider_unavailable', matched_by: 'message_template', params: { provider: 'github' } }],
    ['apiKey is required', { code: 'app_credential_field_required', matched_by: 'message_template', params: { field: 'apiKey' } }],
    ['clientId is required', { code: 'app_byoc_client_id_missing', matched_by: 'message', params: {} }],
    ['clientSecret is required', { code: 'app_byoc_client_secret_missing', matched_by: 'message', params: {} }],
    ['connectionId query parameter is required', { code: 'app_connection_id_missing', matched_by: 'message', params: {} }]
  ]
  for (const [message, expected] of cases) {
    const result = await engine({ status: 400, body: J({ error: message }) })
    t.same(pick(result, { source: 1, ...expected }), { source: 'onecli', ...expected }, message)
  }
  // xerotier's exec_tool_not_found message is a template too, found even without a code.
  const tool = await engine({ status: 400, body: J({ error: { message: "Tool 'github.create_repo' is not registered with any online XEM", type: 'invalid_request_error', code: null, param: null } }) })
  t.same(pick(tool, { source: 1, code: 1, normalized_code: 1, matched_by: 1, params: 1 }),
    { source: 'xerotier', code: 'exec_tool_not_found', normalized_code: 'not_found', matched_by: 'message_template', params: { tool: 'github.create_repo' } })
})

test('a long template capture is bounded', async (t) => {
  const result = await engine({ status: 404, body: J({ error: 'Unknown provider: ' + 'p'.repeat(3000) }) })
  t.equal(result.code, 'app_provider_unknown')
  t.equal(result.matched_by, 'message_template')
  const provider = result.params.provider as string
  t.ok(provider.length <= 257, `capture is ${provider.length} chars`)
  t.equal(provider.slice(0, 10), 'pppppppppp')
})

test('pattern rules classify codes the catalog does not list one by one (a flat nullspace body says its source only by a hint)', async (t) => {
  const cases: Array<[string, ClassifyInput, Record<string, unknown>]> = [
    ['scaigrid SCAIMATRIX_INDEX_NOT_FOUND in the full envelope',
      { status: 404, body: J({ status: 'error', error: { code: 'SCAIMATRIX_INDEX_NOT_FOUND', message: 'Index not found' }, meta: { request_id: 'req_1' } }) },
      { source: 'scaigrid', code: 'SCAIMATRIX_INDEX_NOT_FOUND', normalized_code: 'not_found', matched_by: 'code_pattern' }],
    // Other APIs nest UPPER_SNAKE codes so too: the layout alone names no source, so no source's rules apply.
    ['scaigrid SCAIMATRIX_INDEX_NOT_FOUND, UPPER_SNAKE error.code alone',
      { status: 404, body: J({ error: { code: 'SCAIMATRIX_INDEX_NOT_FOUND', message: 'Index not found' } }) },
      { source: null, code: 'SCAIMATRIX_INDEX_NOT_FOUND', normalized_code: 'not_found', matched_by: 'status' }],
    ['scaigrid *_TIMEOUT',
      { status: 504, body: J({ status: 'error', error: { code: 'SCAIBUNKER_WORKER_TIMEOUT', message: 'Worker timed out' }, meta: {} }) },
      { source: 'scaigrid', code: 'SCAIBUNKER_WORKER_TIMEOUT', normalized_code: 'timeout', matched_by: 'code_pattern' }],
    ['scaigrid *_DENIED',
      { status: 403, body: J({ status: 'error', error: { code: 'SCAILINK_TOOL_DENIED', message: 'Denied' }, meta: {} }) },
      { source: 'scaigrid', code: 'SCAILINK_TOOL_DENIED', normalized_code: 'permission_denied', matched_by: 'code_pattern' }],
    ['nullspace foo_bar_not_found',
      { source: 'nullspace', status: 404, body: J({ error: 'Foo bar not found', code: 'foo_bar_not_found' }) },
      { source: 'nullspace', code: 'foo_bar_not_found', normalized_code: 'not_found', matched_by: 'code_pattern' }],
    ['nullspace preview_*_disabled',
      { source: 'nullspace', status: 403, body: J({ error: 'Preview ports are disabled', code: 'preview_ports_disabled' }) },
      { source: 'nullspace', code: 'preview_ports_disabled', normalized_code: 'permission_denied', matched_by: 'code_pattern' }],
    ['nullspace *_permission_denied',
      { source: 'nullspace', status: 403, body: J({ error: 'No', code: 'volume_permission_denied' }) },
      { source: 'nullspace', code: 'volume_permission_denied', normalized_code: 'permission_denied', matched_by: 'code_pattern' }],
    ['nullspace contains quota',
      { source: 'nullspace', status: 429, body: J({ error: 'Sandbox quota reached', code: 'sandbox_quota_reached' }) },
      { source: 'nullspace', code: 'sandbox_quota_reached', normalized_code: 'quota_exceeded', matched_by: 'code_pattern' }],
    ['nullspace contains rate_limit',
      { source: 'nullspace', status: 429, body: J({ error: 'Too fast', code: 'exec_rate_limit_hit' }) },
      { source: 'nullspace', code: 'exec_rate_limit_hit', normalized_code: 'rate_limited', matched_by: 'code_pattern' }],
    ['nullspace *_conflict',
      { source: 'nullspace', status: 409, body: J({ error: 'Name taken', code: 'volume_name_conflict' }) },
      { source: 'nullspace', code: 'volume_name_conflict', normalized_code: 'conflict', matched_by: 'code_pattern' }]
  ]
  for (const [name, input, expected] of cases) {
    t.test(name, async (t) => {
      t.same(pick(await engine(input), expected), expected)
    })
  }
})

// ---------------------------------------------------------------------------
// Retry
// ---------------------------------------------------------------------------

const scaigridRateLimited = J({ status: 'error', error: { code: 'RATE_LIMITED', message: 'Slow down', retry_after: 7 }, meta: { request_id: 'req_rl' } })
const NOW = Date.parse('Wed, 21 Oct 2026 07:28:00 GMT')

test('every retry-delay source, first found wins', async (t) => {
  const delay = async (headers: Record<string, string>, body = scaigridRateLimited, options: ClassifyOptions = {}) =>
    (await engine({ status: 429, body, headers }, options)).retry

  let retry = await delay({ 'retry-after-ms': '1500' })
  t.same(pick({ retry } as unknown as Classification, { retry: { retryable: 1, strategy: 1, delay_ms: 1 } }).retry, { retryable: true, strategy: 'retry_after', delay_ms: 1500 }, 'retry-after-ms is milliseconds')
  t.match(retry.reason, /retry-after-ms/)

  retry = await delay({ 'retry-after': '3' })
  t.equal(retry.delay_ms, 3000, 'Retry-After is seconds')
  t.equal(retry.strategy, 'retry_after')
  t.match(retry.reason, /Retry-After/)

  retry = await delay({ 'retry-after': '2.5' })
  t.equal(retry.delay_ms, 7000, 'Retry-After with decimals is no RFC 9110 delay: ignored, and the body\'s retry_after is next')
  t.match(retry.reason, /Retry-After header "2.5" is no delay errcat reads/)

  retry = await delay({ 'retry-after': 'Wed, 21 Oct 2026 07:28:30 GMT' }, scaigridRateLimited, { now: NOW })
  t.equal(retry.delay_ms, 30000, 'Retry-After as an HTTP-date, counted from now')
  t.equal(retry.strategy, 'retry_after')
  t.equal(retry.retryable, true)

  retry = await delay({})
  t.equal(retry.delay_ms, 7000, "the scaigrid body's retry_after")
  t.match(retry.reason, /retry_after/)

  const xerotier = J({ error: { message: 'Rate limit exceeded', type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null, retry_after: 4 } })
  retry = await delay({}, xerotier)
  t.equal(retry.delay_ms, 4000, "the xerotier body's error.retry_after")
  t.equal(retry.strategy, 'retry_after')

  t.equal((await delay({ 'retry-after-ms': '1500', 'retry-after': '3' })).delay_ms, 1500, 'retry-after-ms before Retry-After')
  t.equal((await delay({ 'retry-after': '3' })).delay_ms, 3000, 'Retry-After before the body')
  t.equal((await delay({ 'retry-after-ms': '250' }, xerotier)).delay_ms, 250, 'retry-after-ms before the body')
  t.equal((await delay({ 'retry-after': 'soon' })).delay_ms, 7000, 'an unreadable Retry-After is skipped for the next source')
})

test('no delay at all: exponential backoff from the policy', async (t) => {
  const result = await engine({ status: 429, body: J({ error: { message: 'Too many requests. Try again shortly.', type: 'rate_limit_error' } }) })
  t.same(pick(result, { source: 1, code: 1 }), { source: 'onecli', code: 'api_rate_limited' })
  t.same(result.retry, {
    retryable: true,
    strategy: 'exponential_backoff',
    delay_ms: null,
    max_attempts: 3,
    base_delay_ms: 500,
    max_delay_ms: 8000,
    reason: result.retry.reason
  })
})

test('x-should-retry overrides retryable both ways', async (t) => {
  const invalidBody = J({ error: { message: 'Body failed validation', type: 'invalid_request_error', code: 'invalid_body', param: null } })
  const without = await engine({ status: 400, body: invalidBody })
  t.equal(without.retry.retryable, false)
  const forced = await engine({ status: 400, body: invalidBody, headers: { 'x-should-retry': 'true' } })
  t.equal(forced.retry.retryable, true)
  t.equal(forced.retry.strategy, 'exponential_backoff')
  t.ok(forced.retry.max_attempts > 1, 'a forced retry allows more than one attempt')
  t.match(forced.retry.reason, /x-should-retry/)

  const restarting = J({ error: 'gateway_restarting', message: 'Gateway is restarting' })
  const allowed = await engine({ status: 503, body: restarting, headers: { 'retry-after': '1' } })
  t.equal(allowed.retry.retryable, true)
  const refused = await engine({ status: 503, body: restarting, headers: { 'retry-after': '1', 'x-should-retry': 'false' } })
  t.equal(refused.retry.retryable, false)
  t.equal(refused.retry.strategy, 'none')
  t.equal(refused.retry.max_attempts, 1)
  t.match(refused.retry.reason, /x-should-retry/)
})

test('a wait longer than the cap is not retryable, and the reason says why', async (t) => {
  const over = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after': '121' } })
  t.equal(over.retry.retryable, false)
  t.equal(over.retry.strategy, 'none')
  t.same([over.retry.max_attempts, over.retry.base_delay_ms, over.retry.max_delay_ms], [1, 0, 0], 'no attempts or backoff beside a refusal')
  t.equal(over.retry.delay_ms, 121000, 'the wait asked for is still given')
  t.match(over.retry.reason, /120 s/, 'the reason names the 120 s cap')
  t.match(over.retry.reason, /121 s/, 'and the wait asked for')

  const at = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after': '120' } })
  t.equal(at.retry.retryable, true, 'exactly the cap is still retryable')
  t.equal(at.retry.delay_ms, 120000)

  const ms = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after-ms': '130000' } })
  t.equal(ms.retry.retryable, false, 'the cap applies to retry-after-ms too')

  const body = await engine({ status: 429, body: J({ status: 'error', error: { code: 'BACKEND_RATE_LIMITED', message: 'Backend rate limit exceeded — please retry later', retry_after: 3600 }, meta: {} }) })
  t.equal(body.retry.retryable, false, "the cap applies to the body's retry_after too")

  const date = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after': 'Wed, 21 Oct 2026 08:28:00 GMT' } }, { now: NOW })
  t.equal(date.retry.retryable, false, 'and to an HTTP-date an hour away')

  const option = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after': '30' } }, { maxRetryAfterS: 10 })
  t.equal(option.retry.retryable, false, 'maxRetryAfterS lowers the cap')
  t.match(option.retry.reason, /10 s/)
  const within = await engine({ status: 429, body: scaigridRateLimited, headers: { 'retry-after': '30' } }, { maxRetryAfterS: 300 })
  t.equal(within.retry.retryable, true, 'maxRetryAfterS raises the cap')
  t.equal(within.retry.delay_ms, 30000)
})

test('MAX_RETRY_AFTER_S configures the route', async (t) => {
  const { app } = await build(t, { config: { MAX_RETRY_AFTER_S: 10 } })
  const res = await postRaw(app, { body: scaigridRateLimited, status: 429, contentType: 'application/json', headers: { 'retry-after': '30' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().retry.retryable, false)
  t.match(res.json().retry.reason, /10 s/)
  const ok = await postRaw(app, { body: scaigridRateLimited, status: 429, contentType: 'application/json', headers: { 'retry-after': '5' } })
  t.same(pick(ok.json(), { retry: { retryable: 1, delay_ms: 1 } }).retry, { retryable: true, delay_ms: 5000 })
})

test('a quota or billing state is never retryable, even as a 429 with Retry-After', async (t) => {
  const cases: Array<[string, ClassifyInput]> = [
    ['scaigrid QUOTA_EXCEEDED', { status: 429, headers: { 'retry-after': '5' }, body: J({ status: 'error', error: { code: 'QUOTA_EXCEEDED', message: 'Hard quota reached', retry_after: 5 }, meta: {} }) }],
    ['scaigrid BUDGET_EXCEEDED', { status: 429, headers: { 'retry-after': '5' }, body: J({ status: 'error', error: { code: 'BUDGET_EXCEEDED', message: 'Usage budget exceeded' }, meta: {} }) }],
    ['xerotier insufficient_quota with x-should-retry true', { status: 429, headers: { 'retry-after': '5', 'x-should-retry': 'true' }, body: J({ error: { message: 'Project credit budget is exhausted', type: 'rate_limit_error', code: 'insufficient_quota', param: null, retry_after: 5 } }) }],
    ['xerotier billing_delinquent', { status: 402, body: J({ error: { message: 'Billing is past due', type: 'invalid_request_error', code: 'billing_delinquent', param: null } }) }],
    ['onecli gateway quota_exceeded', { status: 429, headers: { 'retry-after': '5' }, body: J({ error: 'quota_exceeded', message: 'Quota exceeded' }) }],
    ['nullspace volume_quota_exceeded', { status: 429, headers: { 'retry-after': '5' }, body: J({ error: 'Volume quota exceeded', code: 'volume_quota_exceeded' }) }],
    ['an OpenAI-style quota message with no envelope', { status: 429, headers: { 'retry-after': '5' }, body: 'You exceeded your current quota, please check your plan and billing details.' }]
  ]
  for (const [name, input] of cases) {
    const result = await engine(input)
    t.equal(result.normalized_code, 'quota_exceeded', `${name}: quota_exceeded`)
    t.equal(result.retry.retryable, false, `${name}: not retryable`)
    t.equal(result.retry.strategy, 'none', `${name}: no strategy`)
    t.equal(result.retry.max_attempts, 1, `${name}: one attempt`)
  }
})

test("xerotier's retry_strategy sets the backoff bounds", async (t) => {
  const body = J({ error: { message: 'The fleet is saturated', type: 'rate_limit_error', code: 'capacity_exceeded', param: null, retry_strategy: { type: 'exponential', initial_delay_ms: 2000, max_delay_ms: 60000, multiplier: 2, jitter: true } } })
  const result = await engine({ status: 429, body })
  t.same(pick(result, { retry: { retryable: 1, strategy: 1, delay_ms: 1, base_delay_ms: 1, max_delay_ms: 1 } }).retry,
    { retryable: true, strategy: 'exponential_backoff', delay_ms: null, base_delay_ms: 2000, max_delay_ms: 60000 })
  const withDelay = await engine({ status: 429, body, headers: { 'retry-after': '2' } })
  t.same(pick(withDelay, { retry: { strategy: 1, delay_ms: 1, base_delay_ms: 1, max_delay_ms: 1 } }).retry,
    { strategy: 'retry_after', delay_ms: 2000, base_delay_ms: 2000, max_delay_ms: 60000 })
})

test('published per-code retry advice: ScaiGrid BACKEND_ERROR once more, UPSTREAM_SHAPE_MISMATCH never', async (t) => {
  const backend = await engine({ status: 502, body: J({ status: 'error', error: { code: 'BACKEND_ERROR', message: 'Upstream provider returned an error' }, meta: {} }) })
  t.same(pick(backend, { normalized_code: 1, retry: { retryable: 1, max_attempts: 1 } }), { normalized_code: 'upstream_error', retry: { retryable: true, max_attempts: 2 } })
  const shape = await engine({ status: 502, body: J({ status: 'error', error: { code: 'UPSTREAM_SHAPE_MISMATCH', message: 'Upstream sent a response our parsers didn\'t accept' }, meta: {} }) })
  t.same(pick(shape, { normalized_code: 1, retry: { retryable: 1, max_attempts: 1, strategy: 1 } }), { normalized_code: 'upstream_error', retry: { retryable: false, max_attempts: 1, strategy: 'none' } })
  const timeout = await engine({ status: 504, body: J({ status: 'error', error: { code: 'BACKEND_TIMEOUT', message: "Upstream didn't respond in time" }, meta: {} }) })
  t.same(pick(timeout, { retry: { retryable: 1, strategy: 1 } }).retry, { retryable: true, strategy: 'exponential_backoff' })
  const unavailable = await engine({ status: 503, body: J({ status: 'error', error: { code: 'MODEL_UNAVAILABLE', message: 'All backends for this model are unhealthy' }, meta: {} }) })
  t.equal(unavailable.retry.retryable, true)
  for (const code of ['AUTH_TOKEN_INVALID', 'AUTH_TOKEN_MISSING', 'AUTHZ_PERMISSION_DENIED', 'VALIDATION_ERROR', 'MODEL_NOT_FOUND', 'MODEL_ACCESS_DENIED']) {
    const result = await engine({ body: J({ status: 'error', error: { code, message: 'x' }, meta: {} }) })
    t.equal(result.retry.retryable, false, `${code} is not retried`)
  }
})

// ---------------------------------------------------------------------------
// Body shapes: SSE, HTML, empty, problem, Google-style, truncated, phrasings
// ---------------------------------------------------------------------------

test('SSE streams: the error event wins, [DONE] is the end marker', async (t) => {
  const stream = 'event: error\r\ndata: {"code":"BACKEND_TIMEOUT","message":"Upstream didn\'t respond in time"}\r\n\r\ndata: [DONE]\r\n\r\n'
  const crlf = await engine({ status: 200, body: stream, contentType: 'text/event-stream' })
  t.same(pick(crlf, { source: 1, code: 1, normalized_code: 1, message: 1 }),
    { source: 'scaigrid', code: 'BACKEND_TIMEOUT', normalized_code: 'timeout', message: "Upstream didn't respond in time" }, 'CRLF line ends')

  const noType = await engine({ body: 'event: error\ndata: {"code":"BACKEND_ERROR","message":"boom"}\n\ndata: [DONE]\n' })
  t.same(pick(noType, { source: 1, code: 1 }), { source: 'scaigrid', code: 'BACKEND_ERROR' }, 'recognised without a content type')

  const first = await engine({
    body: 'event: error\ndata: {"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded — please retry later","retry_after":3}\n\ndata: {"code":"BACKEND_ERROR","message":"late"}\n\ndata: [DONE]\n\n',
    contentType: 'text/event-stream'
  })
  t.same(pick(first, { code: 1, retry: { delay_ms: 1 } }), { code: 'BACKEND_RATE_LIMITED', retry: { delay_ms: 3000 } }, 'the error event payload, and its retry_after')

  // Nor is its {"code","message"} layout: a code only ScaiGrid lists names it, a code others send too does not.
  const commonCode = await engine({ status: 200, body: 'event: error\ndata: {"code":"RATE_LIMIT_EXCEEDED","message":"slow down"}\n\n', contentType: 'text/event-stream' })
  t.same(pick(commonCode, { source: 1, normalized_code: 1 }), { source: null, normalized_code: 'rate_limited' }, 'a common code in the layout names no source')
  const unlisted = await engine({ status: 200, body: 'event: error\ndata: {"code":"STREAM_BROKE","message":"x"}\n\n', contentType: 'text/event-stream' })
  t.equal(unlisted.source, null, 'an unlisted UPPER_SNAKE code in the layout names no source')

  // A Responses-style event carries the failed response; its error is read.
  const failed = await engine({
    status: 200,
    body: 'event: response.failed\ndata: {"type":"response.failed","response":{"status":"failed","error":{"code":"STREAM_BROKE","message":"Try again in 3 seconds."}}}\n\n',
    contentType: 'text/event-stream'
  })
  t.same(pick(failed, { code: 1, message: 1, retry: { delay_ms: 1 } }), { code: 'STREAM_BROKE', message: 'Try again in 3 seconds.', retry: { delay_ms: 3000 } }, 'response.error')

  // An SSE error event alone is no evidence of a source: others send them too.
  const textData = await engine({ status: 500, body: 'event: error\ndata: something broke\n\n', contentType: 'text/event-stream' })
  t.same(pick(textData, { source: 1, message: 1, normalized_code: 1 }), { source: null, message: 'something broke', normalized_code: 'internal' })

  const onlyDone = await engine({ status: 502, body: 'data: [DONE]\n\n', contentType: 'text/event-stream' })
  t.same(pick(onlyDone, { source: 1, code: 1, message: 1, normalized_code: 1 }), { source: null, code: null, message: null, normalized_code: 'upstream_error' })
})

const nginxPage = (status: number, title: string) =>
  `<html>\r\n<head><title>${status} ${title}</title></head>\r\n<body>\r\n<center><h1>${status} ${title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`

test('nginx HTML error pages, with and without ?status, are nginx\'s own', async (t) => {
  const { app } = await build(t)
  const cases: Array<[number, string, string]> = [
    [502, 'Bad Gateway', 'upstream_error'],
    [503, 'Service Temporarily Unavailable', 'unavailable'],
    [504, 'Gateway Time-out', 'timeout'],
    [500, 'Internal Server Error', 'internal'],
    [413, 'Request Entity Too Large', 'payload_too_large'],
    [429, 'Too Many Requests', 'rate_limited']
  ]
  for (const [status, title, normalized] of cases) {
    for (const withStatus of [true, false]) {
      const res = await postRaw(app, { body: nginxPage(status, title), status: withStatus ? status : null, contentType: 'text/html' })
      t.equal(res.statusCode, 200)
      t.same(pick(res.json(), { source: 1, code: 1, normalized_code: 1, http_status: 1, message: 1 }),
        { source: 'nginx', code: null, normalized_code: normalized, http_status: status, message: `${status} ${title}` }, `${status} ${withStatus ? 'with' : 'without'} ?status`)
      t.match(res.json().evidence, [/nginx's page signature/], 'the signature is the evidence')
    }
  }
  // The query status is the upstream's truth when the page says otherwise.
  const mismatch = await postRaw(app, { body: nginxPage(502, 'Bad Gateway'), status: 504, contentType: 'text/html' })
  t.same(pick(mismatch.json(), { http_status: 1, normalized_code: 1 }), { http_status: 504, normalized_code: 'timeout' })
})

const STATUS_MAP: Array<[number, string]> = [
  [400, 'invalid_request'], [401, 'unauthenticated'], [402, 'billing'], [403, 'permission_denied'], [404, 'not_found'], [407, 'unauthenticated'],
  [410, 'gone'], [408, 'timeout'], [409, 'conflict'], [412, 'failed_precondition'], [413, 'payload_too_large'], [422, 'invalid_request'],
  [429, 'rate_limited'], [499, 'cancelled'], [500, 'internal'], [501, 'not_implemented'], [502, 'upstream_error'], [503, 'unavailable'], [504, 'timeout'], [505, 'not_implemented'],
  [529, 'overloaded']
]

test('an empty body with only a status maps by the status (engine)', async (t) => {
  const catalog = await bundledCatalog()
  for (const [status, normalized] of STATUS_MAP) {
    for (const body of [undefined, '', '   \n']) {
      const result = await engine({ status, body })
      t.same(pick(result, { source: 1, code: 1, normalized_code: 1, matched_by: 1, http_status: 1, message: 1 }),
        { source: null, code: null, normalized_code: normalized, matched_by: 'status', http_status: status, message: null }, `${status} ${J(body)}`)
      const policy = catalog.taxonomy.get(normalized as never)?.retry
      t.same(pick(result, { retry: { retryable: 1, max_attempts: 1 } }).retry, { retryable: policy?.retryable, max_attempts: policy?.max_attempts }, `${status}: the normalized code's retry policy`)
    }
  }
  const nothing = await engine({})
  t.same(pick(nothing, { source: 1, code: 1, normalized_code: 1, matched_by: 1, http_status: 1 }),
    { source: null, code: null, normalized_code: 'unknown', matched_by: 'none', http_status: null })
  t.equal(nothing.retry.retryable, false)
})

test('an empty body with only a status maps by the status (route)', async (t) => {
  const { app } = await build(t)
  for (const [status, normalized] of STATUS_MAP) {
    const res = await postRaw(app, { status })
    t.equal(res.statusCode, 200, `${status} answered`)
    t.same(pick(res.json(), { normalized_code: 1, matched_by: 1, http_status: 1 }), { normalized_code: normalized, matched_by: 'status', http_status: status }, `${status}`)
  }
  const retryable = await postRaw(app, { status: 503 })
  t.equal(retryable.json().retry.retryable, true)
  const notRetryable = await postRaw(app, { status: 400 })
  t.equal(notRetryable.json().retry.retryable, false)
  const none = await postRaw(app, {})
  t.same(pick(none.json(), { normalized_code: 1, matched_by: 1 }), { normalized_code: 'unknown', matched_by: 'none' })
})

test('other statuses fall back by class', async (t) => {
  t.equal((await engine({ status: 418 })).normalized_code, 'invalid_request')
  t.equal((await engine({ status: 599 })).normalized_code, 'internal')
  t.equal((await engine({ status: 599 })).retry.retryable, true)
})

test('RFC 9457 problem bodies: status, detail and title are read', async (t) => {
  const { app } = await build(t)
  const problem = J({ type: 'https://example.com/probs/rate', title: 'Too Many Requests', status: 429, detail: 'You have sent too many requests', retry_after: 9 })
  const res = await postRaw(app, { body: problem, contentType: 'application/problem+json' })
  t.equal(res.statusCode, 200)
  t.same(pick(res.json(), { source: 1, normalized_code: 1, http_status: 1, message: 1, retry: { retryable: 1, delay_ms: 1 } }),
    { source: null, normalized_code: 'rate_limited', http_status: 429, message: 'You have sent too many requests', retry: { retryable: true, delay_ms: 9000 } })
  const titleOnly = await engine({ body: J({ type: 'about:blank', title: 'Service Unavailable', status: 503 }), contentType: 'application/problem+json' })
  t.same(pick(titleOnly, { normalized_code: 1, http_status: 1, message: 1 }), { normalized_code: 'unavailable', http_status: 503, message: 'Service Unavailable' })
})

test('an errors[] list is read when its summary matches nothing, and never over a summary that does', async (t) => {
  const github = { 'x-github-request-id': '0681:62D5:1E22F03:626F1F6:62D63512' }
  const detailed = await engine({
    status: 422,
    headers: github,
    body: J({ message: 'Validation Failed', errors: [{ resource: 'Label', code: 'invalid', field: 'color' }, { resource: 'PullRequest', code: 'custom', message: 'No commits between main and topic' }] })
  })
  t.same(pick(detailed, { source: 1, normalized_code: 1, matched_by: 1, message: 1, params: 1 }),
    { source: 'github', normalized_code: 'failed_precondition', matched_by: 'message_template', message: 'Validation Failed', params: { base: 'main', head: 'topic' } },
    'a later item\'s message counts too; the summary stays the message')
  t.match(detailed.evidence, [/x-github-request-id/, /^errors\[\]\.message fits github's template "No commits between \{base\} and \{head\}"/])

  const summarized = await engine({
    status: 422,
    headers: github,
    body: J({ message: 'Reference already exists', errors: [{ message: 'No commits between main and topic' }] })
  })
  t.same(pick(summarized, { code: 1, normalized_code: 1, matched_by: 1 }), { code: 'reference_already_exists', normalized_code: 'conflict', matched_by: 'message' },
    'a summary the catalog knows wins over its details')

  const unknown = await engine({ status: 422, headers: github, body: J({ message: 'Validation Failed', errors: [{ message: 'Title is too long (maximum is 256 characters)' }] }) })
  t.same(pick(unknown, { source: 1, normalized_code: 1, matched_by: 1 }), { source: 'github', normalized_code: 'invalid_request', matched_by: 'status' },
    'details the catalog does not know leave the status guidance')
})

test('an S3 error code names aws only with a mark of S3: S3-compatible stores send the same codes', async (t) => {
  const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>'
  const bare = await engine({ status: 404, contentType: 'application/xml', body })
  t.same(pick(bare, { source: 1, code: 1, normalized_code: 1 }), { source: null, code: 'NoSuchKey', normalized_code: 'not_found' })
  t.match(bare.evidence, [/^code NoSuchKey, which many systems send \(in aws\)$/])
  const fromS3 = await engine({ status: 404, contentType: 'application/xml', headers: { server: 'AmazonS3' }, body })
  t.same(pick(fromS3, { source: 1, code: 1, normalized_code: 1 }), { source: 'aws', code: 'NoSuchKey', normalized_code: 'not_found' })
  t.match(fromS3.evidence, [/header server: AmazonS3/])
})

test('a gRPC error answered trailers-only is read from grpc-status and grpc-message', async (t) => {
  const grpc = { 'content-type': 'application/grpc' }
  const quota = await engine({ status: 200, contentType: 'application/grpc', headers: { ...grpc, 'grpc-status': '8', 'grpc-message': 'Quota%20exceeded%3A%20reads' }, body: '' })
  t.same(pick(quota, { code: 1, normalized_code: 1, matched_by: 1, message: 1 }),
    { code: 'RESOURCE_EXHAUSTED', normalized_code: 'rate_limited', matched_by: 'code', message: 'Quota exceeded: reads' }, 'the number names the status; the message is percent-decoded')
  const broken = await engine({ status: 200, headers: { ...grpc, 'grpc-status': '13', 'grpc-message': '100%' }, body: '' })
  t.equal(broken.message, '100%', 'a message that does not decode is kept as sent')
  t.equal(broken.normalized_code, 'internal')
  for (const status of ['0', '17', '-1', 'UNAVAILABLE', '140']) {
    const result = await engine({ status: 200, headers: { ...grpc, 'grpc-status': status }, body: '' })
    t.equal(result.normalized_code, 'unknown', `grpc-status ${status} names no error`)
  }
  const body = await engine({ status: 503, headers: { 'grpc-status': '14', 'grpc-message': 'from the header' }, body: J({ error: { code: 404, message: 'from the body', status: 'NOT_FOUND' } }) })
  t.same(pick(body, { normalized_code: 1, message: 1 }), { normalized_code: 'not_found', message: 'from the body' }, 'the body\'s own status and message come first')
})

test('OAuth 2.0 error responses: the code says what failed, whatever the status', async (t) => {
  // RFC 6749, section 5.2 (the token endpoint) and RFC 6750, section 3.1 (a protected resource).
  const cases: Array<[string, number, string]> = [
    ['invalid_request', 400, 'invalid_request'],
    ['invalid_client', 401, 'unauthenticated'],
    ['invalid_grant', 400, 'unauthenticated'],
    ['unauthorized_client', 400, 'permission_denied'],
    ['unsupported_grant_type', 400, 'invalid_request'],
    ['invalid_scope', 400, 'invalid_request'],
    ['invalid_token', 400, 'unauthenticated'],
    ['insufficient_scope', 403, 'permission_denied']
  ]
  for (const [code, status, normalized] of cases) {
    const result = await engine({ status, body: J({ error: code, error_description: `The ${code} case`, error_uri: 'https://example.com/oauth' }) })
    t.same(pick(result, { code: 1, normalized_code: 1, message: 1, retry: { retryable: 1 } }),
      { code, normalized_code: normalized, message: `The ${code} case`, retry: { retryable: false } }, code)
  }
  const plain = await engine({ status: 400, body: J({ error: 'token_revoked', error_description: 'Revoked' }) })
  t.same(pick(plain, { normalized_code: 1, message: 1 }), { normalized_code: 'invalid_request', message: 'Revoked' }, 'another code is no OAuth error: the status decides')
})

test('Google-style {"error":{"code","message","status"}} bodies', async (t) => {
  const cases: Array<[number, string, string]> = [
    [404, 'NOT_FOUND', 'not_found'],
    [400, 'INVALID_ARGUMENT', 'invalid_request'],
    [403, 'PERMISSION_DENIED', 'permission_denied'],
    [401, 'UNAUTHENTICATED', 'unauthenticated'],
    [429, 'RESOURCE_EXHAUSTED', 'rate_limited'],
    [503, 'UNAVAILABLE', 'unavailable'],
    [504, 'DEADLINE_EXCEEDED', 'timeout'],
    [409, 'ALREADY_EXISTS', 'conflict'],
    [400, 'FAILED_PRECONDITION', 'failed_precondition'],
    [501, 'UNIMPLEMENTED', 'not_implemented'],
    [500, 'INTERNAL', 'internal']
  ]
  for (const [code, status, normalized] of cases) {
    const result = await engine({ body: J({ error: { code, message: `The thing failed (${status})`, status } }) })
    t.same(pick(result, { code: 1, normalized_code: 1, http_status: 1, message: 1 }),
      { code: status, normalized_code: normalized, http_status: code, message: `The thing failed (${status})` }, status)
  }
})

test('truncated JSON is salvaged, else read by status', async (t) => {
  const nullspace = await engine({ status: 404, body: '{"error":"Sandbox not found","code":"sandbox_not_found","request_id":"req_tr_1","error_det' })
  t.same(pick(nullspace, { source: 1, code: 1, normalized_code: 1, request_id: 1 }),
    { source: 'nullspace', code: 'sandbox_not_found', normalized_code: 'not_found', request_id: 'req_tr_1' })
  const escaped = await engine({ status: 404, body: '{"error":{"code":"MODEL_NOT_FOUND","message":"No model \\"gpt-9\\" here","par' })
  t.same(pick(escaped, { code: 1, message: 1 }), { code: 'MODEL_NOT_FOUND', message: 'No model "gpt-9" here' })
  const hopeless = await engine({ status: 503, body: '{"err' })
  t.same(pick(hopeless, { normalized_code: 1, matched_by: 1 }), { normalized_code: 'unavailable', matched_by: 'status' })
})

test('context-window phrasings give context_length_exceeded, in a 4xx only', async (t) => {
  const phrasings = [
    "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.",
    'prompt is too long: 210000 tokens > 200000 maximum',
    'Input is too long for requested model.',
    'The input exceeds the maximum number of tokens allowed by the model.',
    'Request exceeds the context window of this model'
  ]
  for (const message of phrasings) {
    for (const status of [400, 413, 422]) {
      const result = await engine({ status, body: J({ error: { message, type: 'invalid_request_error', code: null, param: null } }) })
      // A phrasing only one source's catalog holds names that source; the others are generic.
      t.equal(result.normalized_code, 'context_length_exceeded', `${status}: ${message}`)
      t.ok(['message_pattern', 'message', 'message_template'].includes(result.matched_by), `${status}: ${message}: matched by its phrasing (${result.matched_by})`)
      t.equal(result.retry.retryable, false)
    }
  }
  // xerotier's generic invalid_request "also covers context-length": the phrasing refines it.
  const coded = await engine({ status: 400, body: J({ error: { message: phrasings[0], type: 'invalid_request_error', code: 'invalid_request', param: 'messages' } }) })
  t.same(pick(coded, { source: 1, code: 1, normalized_code: 1 }), { source: 'xerotier', code: 'invalid_request', normalized_code: 'context_length_exceeded' })
  // A context phrase in a 5xx body does not blame the input.
  const server = await engine({ status: 500, body: 'worker crashed while computing maximum context length' })
  t.equal(server.normalized_code, 'internal')
})

test('a stray "429" or "rate limit" in a 400 body never becomes rate_limited', async (t) => {
  const bodies400: Array<[string, string]> = [
    ['onecli flat message', J({ error: 'rateLimit and rateLimitWindow are required when action is rate_limit' })],
    ['onecli flat message with 429', J({ error: 'rate limit value 429 is out of range' })],
    ['xerotier typed error', J({ error: { message: 'Too many requests in one batch (429 > 100)', type: 'invalid_request_error', code: null, param: 'requests' } })],
    ['plain text', 'HTTP 429: rate limit exceeded (from the upstream of the upstream)'],
    ['plain text starting with 429', '429 Too Many Requests']
  ]
  for (const [name, body] of bodies400) {
    const result = await engine({ status: 400, body })
    t.not(result.normalized_code, 'rate_limited', name)
    t.equal(result.normalized_code, 'invalid_request', name)
    t.equal(result.retry.retryable, false, `${name}: not retried`)
  }
  const onecli = await engine({ status: 400, body: bodies400[0]?.[1] })
  t.same(pick(onecli, { source: 1, code: 1, matched_by: 1 }), { source: 'onecli', code: 'policy_rule_rate_limit_fields_missing', matched_by: 'message' })
  // Where the status is a 429 (or unknown), the phrase is trusted.
  t.equal((await engine({ status: 429, body: 'rate limit exceeded' })).normalized_code, 'rate_limited')
  t.equal((await engine({ body: 'Rate limit exceeded, slow down' })).normalized_code, 'rate_limited')
})

// ---------------------------------------------------------------------------
// Remediation and request ids
// ---------------------------------------------------------------------------

test('scope_insufficient names the surface the message names', async (t) => {
  const base = (await bundledCatalog()).sources.get('xerotier')?.byCode.get('scope_insufficient')?.remediation
  for (const surface of ['management', 'inference', 'exec']) {
    const result = await engine({ status: 403, body: J({ error: { message: `API key lacks the ${surface} scope`, type: 'authentication_error', code: 'scope_insufficient', param: null } }) })
    t.equal(result.code, 'scope_insufficient')
    t.match(result.remediation.action, new RegExp(`^The ${surface} surface rejected the call`), surface)
    const others = ['management', 'inference', 'exec'].filter((name) => name !== surface)
    for (const other of others) t.notMatch(result.remediation.action.split('.')[0] as string, other, `${surface}: the lead sentence names only ${surface}`)
    t.equal(result.remediation.diagnostic, 'xeroctl keys')
  }
  const vague = await engine({ status: 403, body: J({ error: { message: 'API key lacks a scope', type: 'authentication_error', code: 'scope_insufficient', param: null } }) })
  t.same(vague.remediation, base, 'no surface named: the entry remediation as is')
})

test('internal_error gives the upstream request id in the action', async (t) => {
  const body = J({ error: { message: 'Internal server error', type: 'internal_error', code: 'internal_error', param: null } })
  const withId = await engine({ status: 500, body, headers: { 'x-request-id': 'rtr-7c1d0f' } })
  t.equal(withId.request_id, 'rtr-7c1d0f')
  t.match(withId.remediation.action, /rtr-7c1d0f/)
  const withoutId = await engine({ status: 500, body })
  t.equal(withoutId.request_id, null)
  t.notMatch(withoutId.remediation.action, /rtr-/)

  const { app } = await build(t)
  const res = await postRaw(app, { body, status: 500, contentType: 'application/json', headers: { 'x-request-id': 'rtr-route-99' } })
  t.equal(res.json().request_id, 'rtr-route-99')
  t.match(res.json().remediation.action, /rtr-route-99/)
  t.not(res.headers['x-request-id'], 'rtr-route-99', "errcat's own x-request-id stays the caller's")

  const scaigrid = await engine({ status: 500, body: J({ status: 'error', error: { code: 'INTERNAL_ERROR', message: 'Unexpected' }, meta: { request_id: 'req_sg_500' } }) })
  t.match(scaigrid.remediation.action, /req_sg_500/, 'a body request id is quoted too')
})

test('request_id comes from the header, request_id, meta.request_id', async (t) => {
  const flat = await engine({ status: 404, body: J({ error: 'Sandbox not found', code: 'sandbox_not_found', request_id: 'req_flat' }) })
  t.equal(flat.request_id, 'req_flat')
  const meta = await engine({ status: 404, body: J({ status: 'error', error: { code: 'MODEL_NOT_FOUND', message: 'x' }, meta: { request_id: 'req_meta' } }) })
  t.equal(meta.request_id, 'req_meta')
  const header = await engine({ status: 404, headers: { 'x-request-id': 'hdr_1' }, body: J({ error: 'Sandbox not found', code: 'sandbox_not_found', request_id: 'req_body' }) })
  t.equal(header.request_id, 'hdr_1', 'the header wins over the body')
  const none = await engine({ status: 404, body: J({ error: 'Agent not found' }) })
  t.equal(none.request_id, null)
  const long = await engine({ status: 500, headers: { 'x-request-id': 'r'.repeat(1000) } })
  t.ok((long.request_id as string).length <= 257, 'a request id is bounded')
})

// ---------------------------------------------------------------------------
// The route
// ---------------------------------------------------------------------------

test('POST /classify accepts any content type, or none', async (t) => {
  const { app } = await build(t)
  const onecli = J({ error: 'Agent not found' })
  const cases: Array<[string | null, string, Record<string, unknown>]> = [
    ['application/json', onecli, { source: 'onecli', code: 'agent_not_found' }],
    ['application/json; charset=utf-8', onecli, { source: 'onecli', code: 'agent_not_found' }],
    ['application/problem+json', J({ type: 'about:blank', title: 'Not Found', status: 404, detail: 'No such widget' }), { normalized_code: 'not_found', message: 'No such widget' }],
    ['text/plain', 'invalid API key', { source: 'onecli', code: 'gateway_invalid_api_key' }],
    ['text/html', nginxPage(404, 'Not Found'), { normalized_code: 'not_found', message: '404 Not Found' }],
    ['text/event-stream', 'event: error\ndata: {"code":"BACKEND_ERROR","message":"x"}\n\ndata: [DONE]\n\n', { source: 'scaigrid', code: 'BACKEND_ERROR' }],
    [null, onecli, { source: 'onecli', code: 'agent_not_found' }],
    ['application/x-made-up-error', onecli, { source: 'onecli', code: 'agent_not_found' }],
    ['application/octet-stream', 'invalid API key', { source: 'onecli', code: 'gateway_invalid_api_key' }]
  ]
  for (const [contentType, body, expected] of cases) {
    const res = await postRaw(app, { body, status: 404, contentType })
    t.equal(res.statusCode, 200, `${contentType ?? 'no content type'} accepted`)
    t.same(pick(res.json(), expected), expected, `${contentType ?? 'no content type'}`)
  }
})

test('POST /classify takes bodies up to 1 MiB, and answers 413 beyond', async (t) => {
  const { app } = await build(t)
  const prefix = '{"error":"Agent not found","padding":"'
  const suffix = '"}'
  const atLimit = prefix + 'x'.repeat(1024 * 1024 - prefix.length - suffix.length) + suffix
  t.equal(Buffer.byteLength(atLimit), 1024 * 1024)
  const ok = await postRaw(app, { body: atLimit, status: 404, contentType: 'application/json' })
  t.equal(ok.statusCode, 200, 'exactly 1 MiB is accepted')
  t.equal(ok.json().code, 'agent_not_found')

  const over = await postRaw(app, { body: atLimit + ' ', status: 404, contentType: 'application/json' })
  t.equal(over.statusCode, 413)
  t.match(over.headers['content-type'], /^application\/problem\+json/)
  t.match(over.json(), { status: 413, type: 'urn:errcat:problem:payload-too-large', instance: '/classify' })

  const overText = await postRaw(app, { body: 'y'.repeat(2 * 1024 * 1024), status: 500, contentType: 'text/plain' })
  t.equal(overText.statusCode, 413)
})

test('?status must be an HTTP status', async (t) => {
  const { app } = await build(t)
  for (const status of ['abc', '999', '-1', '4.5', '']) {
    const res = await app.inject({ method: 'POST', url: `/classify?status=${status}`, payload: 'x', headers: { 'content-type': 'text/plain' } })
    if (status === '') {
      t.not(res.statusCode, 500, 'an empty status is not a server error')
      continue
    }
    t.equal(res.statusCode, 400, `status=${status}`)
    t.match(res.headers['content-type'], /^application\/problem\+json/)
    t.match(res.json(), { status: 400, field: 'status', instance: '/classify' }, `status=${status} names the field`)
    t.match(res.json().detail, /status/)
  }
})

test('an unknown ?source answers 400 listing the valid ids', async (t) => {
  const { app } = await build(t)
  const res = await postRaw(app, { body: '{"error":"Agent not found"}', status: 404, source: 'nosuchapi', contentType: 'application/json' })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 400, type: 'urn:errcat:problem:unknown-source', field: 'source' })
  t.same(res.json().valid_values, SOURCE_IDS)
  for (const id of SOURCE_IDS) t.match(res.json().detail, id)
})

test('the message echoed back is bounded', async (t) => {
  const { app } = await build(t)
  const huge = 'A'.repeat(100 * 1024)
  for (const [contentType, body] of [
    ['application/json', J({ error: { message: huge, type: 'invalid_request_error', code: 'invalid_body', param: null } })],
    ['text/plain', huge],
    ['application/json', J({ error: huge })]
  ] as Array<[string, string]>) {
    const res = await postRaw(app, { body, status: 400, contentType })
    t.equal(res.statusCode, 200)
    const message = res.json().message as string
    t.ok(message.length <= 513, `${contentType}: message is ${message.length} chars`)
    t.equal(message.slice(0, 64), 'A'.repeat(64))
    t.ok(res.body.length < 8 * 1024, 'the whole answer stays small')
  }
})

test('a classification is recorded on the request\'s one completion line, never the body', async (t) => {
  const { app, logs } = await build(t)
  const secret = 'SECRET-BODY-MARKER-8c41'
  const body = J({ error: `Sandbox ${secret} not found`, code: 'sandbox_not_found', request_id: 'req_log_1', token: secret })
  const res = await app.inject({
    method: 'POST',
    url: '/classify?status=404',
    payload: body,
    headers: { 'content-type': 'application/json', 'x-request-id': 'caller-log-1', 'x-upstream-x-request-id': 'upstream-log-1' }
  })
  t.equal(res.statusCode, 200)
  const lines = logs.filter((line) => line.request_id === 'caller-log-1')
  t.equal(lines.length, 1, 'one line for the request')
  t.match(lines[0], {
    msg: 'request completed',
    route: '/classify',
    status: 200,
    classification: { source: 'nullspace', code: 'sandbox_not_found', normalized_code: 'not_found', matched_by: 'code' }
  })
  t.notOk(JSON.stringify(logs).includes(secret), 'the body never reaches the logs')

  const plain = await app.inject({ method: 'POST', url: '/classify?status=401', payload: `invalid API key ${secret}`, headers: { 'content-type': 'text/plain', 'x-request-id': 'caller-log-2' } })
  t.equal(plain.statusCode, 200)
  const second = logs.filter((line) => line.request_id === 'caller-log-2')
  t.equal(second.length, 1)
  t.match(second[0], { msg: 'request completed', classification: { source: null, code: null, normalized_code: 'unauthenticated', matched_by: 'status' } })
  t.notOk(JSON.stringify(logs).includes(secret), 'a text body never reaches the logs either')
})

test('a code known only in another spelling is logged as the client spelled it, on every line', async (t) => {
  const { app, logs } = await build(t)
  // Known ignoring case in two catalogs that disagree, so no code match settles it.
  const body = J({ code: 'CAPACITY_EXCEEDED', message: 'Over capacity' })
  for (const id of ['spelling-1', 'spelling-2']) {
    const res = await app.inject({ method: 'POST', url: '/classify?status=429', payload: body, headers: { 'content-type': 'application/json', 'x-request-id': id } })
    t.equal(res.statusCode, 200)
  }
  const lines = logs.filter((line) => line.request_id === 'spelling-1' || line.request_id === 'spelling-2')
  t.equal(lines.length, 2)
  for (const line of lines) t.equal((line.classification as { code: unknown }).code, 'CAPACITY_EXCEEDED')
  t.same(lines[0]?.classification, lines[1]?.classification, 'the same outcome on both lines')
})

test('a batch records its items in order on its one completion line, never the bodies', async (t) => {
  const { app, logs } = await build(t)
  const secret = 'SECRET-BATCH-MARKER-55e0'
  const res = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    headers: { 'x-request-id': 'caller-batch-1' },
    payload: { items: [{ status: 404, body: { error: 'Agent not found', note: secret } }, { status: 429, body: `rate limit ${secret}` }] }
  })
  t.equal(res.statusCode, 200)
  t.notOk(JSON.stringify(logs).includes(secret), 'the bodies never reach the logs')
  const lines = logs.filter((line) => line.request_id === 'caller-batch-1')
  t.equal(lines.length, 1, 'one line for the batch')
  t.match(lines[0], { msg: 'request completed', route: '/classify/batch', status: 200 })
  t.same(lines[0]?.classifications, [
    { source: 'onecli', code: 'agent_not_found', normalized_code: 'not_found', matched_by: 'message' },
    { source: null, code: null, normalized_code: 'rate_limited', matched_by: 'message_pattern' }
  ])
})

test('?format=text and Accept: text/plain answer text/plain', async (t) => {
  const { app } = await build(t)
  const body = J({ error: 'Unknown provider: slack' })
  const res = await postRaw(app, { body, status: 404, format: 'text', contentType: 'application/json' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain/)
  t.match(res.body, /^not_found +\(onecli \/ app_provider_unknown, matched by message_template\)/)
  t.match(res.body, /slack/)
  const accept = await app.inject({ method: 'POST', url: '/classify?status=404', payload: body, headers: { 'content-type': 'application/json', accept: 'text/plain' } })
  t.match(accept.headers['content-type'], /^text\/plain/)
  t.equal(accept.body, res.body)
  const json = await postRaw(app, { body, status: 404, format: 'json', contentType: 'application/json' })
  t.match(json.headers['content-type'], /^application\/json/)
  t.equal(json.json().code, 'app_provider_unknown')
})

// ---------------------------------------------------------------------------
// Batch
// ---------------------------------------------------------------------------

test('batch: results in order, equal to single /classify answers', async (t) => {
  const { app } = await build(t)
  const items = bodies.map((example) => ({
    status: example.status,
    headers: Object.fromEntries(Object.entries(example.headers).map(([name, value], i) => [i % 2 === 0 ? UPSTREAM + name : name, value])),
    body: example.body,
    content_type: example.content_type ?? undefined
  }))
  t.ok(items.length <= 100)
  const res = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items } })
  t.equal(res.statusCode, 200)
  const results = res.json().results as Classification[]
  t.equal(results.length, bodies.length)
  for (const [i, example] of bodies.entries()) {
    const single = await postRaw(app, { body: example.body, status: example.status, contentType: example.content_type, headers: example.headers })
    t.same(results[i], single.json(), `item ${i}: ${example.name}`)
  }
})

test('batch: a body as a string or as a JSON value classifies alike', async (t) => {
  const { app } = await build(t)
  const value = { status: 'error', error: { code: 'BACKEND_RATE_LIMITED', message: 'Backend rate limit exceeded — please retry later', retry_after: 30 }, meta: { request_id: 'req_abc123' } }
  const res = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    payload: { items: [{ status: 429, body: J(value) }, { status: 429, body: value }, { status: 404, body: 'Agent not found' }, { status: 404, body: { error: 'Agent not found' } }, { status: 503 }, {}] }
  })
  t.equal(res.statusCode, 200)
  const [asString, asValue, text, flat, bare, empty] = res.json().results as Classification[]
  t.same(asValue, asString)
  t.same(pick(asValue as Classification, { source: 1, code: 1, request_id: 1, retry: { delay_ms: 1 } }),
    { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', request_id: 'req_abc123', retry: { delay_ms: 30000 } })
  t.same(pick(text as Classification, { source: 1, code: 1 }), { source: 'onecli', code: 'agent_not_found' })
  t.same(pick(flat as Classification, { source: 1, code: 1 }), { source: 'onecli', code: 'agent_not_found' })
  t.same(pick(bare as Classification, { normalized_code: 1, matched_by: 1 }), { normalized_code: 'unavailable', matched_by: 'status' })
  t.same(pick(empty as Classification, { normalized_code: 1, matched_by: 1 }), { normalized_code: 'unknown', matched_by: 'none' })
})

test('batch: headers with or without the x-upstream- prefix, any case', async (t) => {
  const { app } = await build(t)
  const body = J({ error: 'rate_limited', message: 'Slow down' })
  const res = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    payload: {
      items: [
        { status: 429, body, headers: { 'retry-after': '3' } },
        { status: 429, body, headers: { 'x-upstream-retry-after': '3' } },
        { status: 429, body, headers: { 'X-Upstream-Retry-After': '3' } },
        { status: 429, body, headers: { 'Retry-After-Ms': '1500', 'retry-after': '3' } },
        { status: 429, body, headers: { 'x-should-retry': 'false' } },
        { status: 500, body, headers: { 'X-Upstream-X-Request-ID': 'up-42' } },
        { status: 429, body, headers: { 'x-unrelated': '3', authorization: 'Bearer nope' } }
      ]
    }
  })
  t.equal(res.statusCode, 200)
  const results = res.json().results as Classification[]
  t.equal(results[0]?.retry.delay_ms, 3000)
  t.equal(results[1]?.retry.delay_ms, 3000)
  t.equal(results[2]?.retry.delay_ms, 3000)
  t.equal(results[3]?.retry.delay_ms, 1500)
  t.equal(results[4]?.retry.retryable, false)
  t.equal(results[5]?.request_id, 'up-42')
  t.equal(results[6]?.retry.delay_ms, null, 'other headers are ignored')
})

test('batch: 101 items answer a 400 problem', async (t) => {
  const { app } = await build(t)
  const hundred = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 100 }, () => ({ status: 404 })) } })
  t.equal(hundred.statusCode, 200)
  t.equal(hundred.json().results.length, 100)
  const res = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 101 }, () => ({ status: 404 })) } })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 400, field: 'items', instance: '/classify/batch' })
})

test('batch: an unknown source names its item', async (t) => {
  const { app } = await build(t)
  const items = [{ status: 404 }, { status: 404, source: 'onecli' }, { status: 404 }, { status: 404, source: 'nosuchapi' }]
  const res = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items } })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.match(res.json(), { status: 400, type: 'urn:errcat:problem:unknown-source', field: 'items.3.source' })
  t.same(res.json().valid_values, SOURCE_IDS)
})

test('batch: a source hint per item', async (t) => {
  const { app } = await build(t)
  const body = J({ code: 'capacity_exceeded' })
  const res = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ status: 429, body, source: 'xerotier' }, { status: 429, body, source: 'nullspace' }, { status: 429, body, source: null }] } })
  t.equal(res.statusCode, 200)
  const [x, n, none] = res.json().results as Classification[]
  t.same(pick(x as Classification, { source: 1, normalized_code: 1 }), { source: 'xerotier', normalized_code: 'unavailable' })
  t.same(pick(n as Classification, { source: 1, normalized_code: 1 }), { source: 'nullspace', normalized_code: 'quota_exceeded' })
  t.equal(none?.source, null)
})

// ---------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------

test('no hostile body gets a 5xx', async (t) => {
  const { app } = await build(t)
  const deep = 100_000
  const cases: Array<[string, string | Buffer, string | null]> = [
    ['arrays 100000 deep', '['.repeat(deep) + ']'.repeat(deep), 'application/json'],
    ['objects 100000 deep', '{"a":'.repeat(deep) + '1' + '}'.repeat(deep), 'application/json'],
    ['unclosed arrays 100000 deep', '['.repeat(deep), 'application/json'],
    ['__proto__ key', '{"__proto__":{"x":1}}', 'application/json'],
    ['__proto__ as error', '{"error":{"__proto__":{"code":"internal_error"},"message":"x"},"constructor":{"prototype":{"y":1}}}', 'application/json'],
    ['invalid UTF-8 bytes', Buffer.from([0x7b, 0x22, 0x65, 0x72, 0x72, 0x6f, 0x72, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]), 'application/json'],
    ['invalid UTF-8 as text', Buffer.from([0xc0, 0xaf, 0xed, 0xa0, 0x80, 0x0a, 0xf8, 0x88]), 'text/plain'],
    ['escaped lone surrogates in JSON', '{"error":"bad \\ud800 surrogate \\udfff","code":"sandbox_not_found"}', 'application/json'],
    ['raw lone surrogate in a string', '{"error":"bad \ud800 raw","code":"sandbox_not_found"}', 'application/json'],
    ['NUL bytes and control characters', '\u0000\u0001{"error":"\u0007"}\u001b[2J', 'text/plain'],
    ['SSE with 10000 empty events', 'event: error\n'.repeat(10_000), 'text/event-stream'],
    ['HTML without a closing title', '<html><title>' + '<'.repeat(100_000), 'text/html'],
    ['a JSON number', '1e999999', 'application/json'],
    ['a JSON null', 'null', 'application/json'],
    ['a JSON string of a code', '"QUOTA_EXCEEDED"', 'application/json'],
    ['a template message bomb', J({ error: 'Provider "'.repeat(50_000) }), 'application/json']
  ]
  for (const [name, body, contentType] of cases) {
    const res = await postRaw(app, { body, status: 404, contentType })
    t.equal(res.statusCode, 200, name)
    const answer = res.json() as Classification
    t.equal(typeof answer.normalized_code, 'string', `${name}: classified`)
  }
  t.equal(({} as Record<string, unknown>).x, undefined, 'Object.prototype is not polluted')
  t.equal(({} as Record<string, unknown>).y, undefined, 'Object.prototype is not polluted by constructor.prototype')

  const proto = await postRaw(app, { body: '{"__proto__":{"x":1}}', status: 404, contentType: 'application/json' })
  t.same(pick(proto.json(), { normalized_code: 1, code: 1 }), { normalized_code: 'not_found', code: null })
  const surrogate = await postRaw(app, { body: '{"error":"bad \\ud800 surrogate","code":"sandbox_not_found"}', status: 404, contentType: 'application/json' })
  t.same(pick(surrogate.json(), { source: 1, code: 1 }), { source: 'nullspace', code: 'sandbox_not_found' })

  const batch = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    payload: { items: [{ body: '['.repeat(deep) + ']'.repeat(deep) }, { body: '{"__proto__":{"x":1}}' }, { body: 'bad \ud800 raw' }] }
  })
  t.equal(batch.statusCode, 200, 'hostile strings in a batch')
  t.equal(batch.json().results.length, 3)
})

test('hostile values given straight to the engine', async (t) => {
  let deep: unknown = 'Agent not found'
  for (let i = 0; i < 100_000; i++) deep = [deep]
  t.equal((await engine({ status: 404, body: deep })).normalized_code, 'not_found', 'a 100000-deep parsed value')
  const protoBody = JSON.parse('{"__proto__":{"error":"Agent not found"}}') as unknown
  const result = await engine({ status: 400, body: protoBody })
  t.equal(result.code, null, 'an own __proto__ key is data, not an envelope')
  const inherited = Object.create({ error: 'Agent not found' }) as unknown
  t.equal((await engine({ status: 400, body: inherited })).code, null, 'inherited properties are not read')
  const bigMessage = await engine({ status: 400, body: 'Unknown provider: ' + 'a'.repeat(1024 * 1024) })
  t.ok((bigMessage.message as string).length <= 513)
})

test('batch: a body nested past the limit is refused unparsed, and an upstream "__proto__" key is data', async (t) => {
  const { app } = await build(t)
  const deep = '{"items":[{"status":500,"body":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}]}'
  const refused = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload: deep })
  t.equal(refused.statusCode, 400)
  t.match(refused.headers['content-type'], /^application\/problem\+json/)
  t.match(refused.json(), { type: 'urn:errcat:problem:bad-request', detail: /deeper than 64 levels/ })
  // As text, the same nesting is an upstream body like any other.
  const asText = await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ status: 500, body: '['.repeat(100_000) + ']'.repeat(100_000), content_type: 'application/json' }] } })
  t.equal(asText.statusCode, 200)
  t.equal(asText.json().results[0].normalized_code, 'internal')
  const proto = await app.inject({
    method: 'POST',
    url: '/classify/batch',
    headers: { 'content-type': 'application/json' },
    payload: '{"items":[{"status":404,"body":{"error":"Agent not found","__proto__":{"polluted":true}}}]}'
  })
  t.equal(proto.statusCode, 200, 'valid upstream data, classified')
  t.match(proto.json().results[0], { source: 'onecli', code: 'agent_not_found' })
  t.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was touched')
  const broken = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload: '{"items":[' })
  t.equal(broken.statusCode, 400)
  t.match(broken.json(), { type: 'urn:errcat:problem:bad-request', detail: /not valid JSON/ })
})

test('batch: sent as anything but JSON, a 415 problem', async (t) => {
  const { app } = await build(t)
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'text/html']) {
    const res = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': type }, payload: '{"items":[]}' })
    t.equal(res.statusCode, 415, type)
    t.match(res.json(), { type: 'urn:errcat:problem:unsupported-media-type', status: 415 }, type)
  }
  const json = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{"items":[]}' })
  t.equal(json.statusCode, 200, 'JSON with a charset is JSON')
})

// Property-based tests (issue 9): whatever arrives, errcat answers 200 or a
// 4xx problem that matches its OpenAPI document, and keeps serving. Every
// property has a fixed seed, so a failure replays exactly: fast-check prints
// the seed and the counterexample's path in the failure message.
import assert from 'node:assert/strict'
import type { FastifyInstance } from 'fastify'
import { test } from 'tap'
import fc from 'fast-check'
import type { LightMyRequestResponse } from 'fastify'
import { build, componentValidator } from '../helper.js'
import type { Classification } from '../../src/engine/classify.js'

type App = FastifyInstance

// The OpenAPI document's components, compiled as test/openapi.test.ts does.
const validClassification = componentValidator('Classification')
const validProblem = componentValidator('Problem')
const validLookup = componentValidator('LookupAnswer')

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/
const MESSAGE_LIMIT = 513
const ECHO_LIMIT = 257

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/problem+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/html',
  'text/html; charset=iso-8859-1',
  'text/event-stream',
  'application/xml',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x'
]

/** Catalog messages, templates (`{}` is where an arbitrary value goes) and codes. */
const KNOWN_TEXTS = [
  'Agent not found',
  'Unknown provider: {}',
  'Provider "{}" is not available',
  '{} is required',
  'clientId is required',
  'sandbox_not_found',
  'BACKEND_RATE_LIMITED',
  'scope_insufficient',
  'maximum context length {}',
  'rate limit {}'
]

/** A problem as text, for a client that asked for text: its title and detail, then the request id of the header. */
function checkTextProblem (res: LightMyRequestResponse, context: string): void {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${context}: ${res.statusCode} is neither 200 nor 4xx: ${res.body.slice(0, 300)}`)
  assert.match(String(res.headers['content-type']), /^text\/plain/, `${context}: text was asked for, errors included`)
  assert.match(res.body, /^[A-Z][^\n]*: /, `${context}: the title, then the detail`)
  assert.ok(res.body.includes(`  Request id   ${String(res.headers['x-request-id'])}\n`), `${context}: the request id of the header`)
}

/** The checks every answer passes, whatever the route: 200 or a 4xx problem, never a 5xx. */
function checkProblem (res: LightMyRequestResponse, context: string): Record<string, unknown> {
  assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${context}: ${res.statusCode} is neither 200 nor 4xx: ${res.body.slice(0, 300)}`)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, `${context}: a 4xx is a problem`)
  const problem = res.json() as Record<string, unknown>
  assert.ok(validProblem(problem), `${context}: the problem matches the schema: ${JSON.stringify(validProblem.errors)}`)
  assert.equal(problem.status, res.statusCode, `${context}: the problem repeats the status`)
  assert.equal(problem.request_id, res.headers['x-request-id'], `${context}: the problem names the request id`)
  return problem
}

function checkClassification (answer: unknown, context: string): Classification {
  assert.ok(validClassification(answer), `${context}: matches the Classification schema: ${JSON.stringify(validClassification.errors)}`)
  const result = answer as Classification
  assert.ok(result.message === null || result.message.length <= MESSAGE_LIMIT, `${context}: the message is bounded`)
  assert.ok(result.request_id === null || result.request_id.length <= ECHO_LIMIT, `${context}: the request id is bounded`)
  for (const value of Object.values(result.params)) assert.ok(value.length <= ECHO_LIMIT, `${context}: params are bounded`)
  return result
}

async function stillServing (app: App): Promise<void> {
  const health = await app.inject({ url: '/healthz' })
  assert.equal(health.statusCode, 200, 'the service still answers /healthz')
}

/** Counts outcomes, so each test can also assert that its generators reached both answers. */
function tally () {
  const seen = new Map<string, number>()
  return {
    add: (key: string) => { seen.set(key, (seen.get(key) ?? 0) + 1) },
    count: (key: string) => seen.get(key) ?? 0,
    keys: () => [...seen.keys()].sort()
  }
}

// ---------------------------------------------------------------------------

test('POST /classify: any bytes, any content type, any status, any upstream headers → 200 or a 4xx problem, and the service keeps serving', async (t) => {
  const { app } = await build(t)
  const outcomes = tally()
  const contentType = fc.option(fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) }
  ), { nil: undefined })
  const status = fc.option(fc.oneof(fc.integer({ min: 100, max: 599 }), fc.integer({ min: -1000, max: 2000 })), { nil: undefined })
  const headerValue = fc.option(fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'binary-ascii', maxLength: 300 })), { nil: undefined })
  const property = fc.asyncProperty(
    fc.uint8Array({ maxLength: 4096 }), contentType, status, fc.constantFrom(undefined, 'json', 'text'), headerValue, headerValue, headerValue,
    async (bytes, type, upstreamStatus, format, requestId, upstreamRequestId, retryAfter) => {
      const query = new URLSearchParams()
      if (upstreamStatus !== undefined) query.set('status', String(upstreamStatus))
      if (format !== undefined) query.set('format', format)
      const headers: Record<string, string> = {}
      if (type !== undefined) headers['content-type'] = type
      if (requestId !== undefined) headers['x-request-id'] = requestId
      if (upstreamRequestId !== undefined) headers['x-upstream-x-request-id'] = upstreamRequestId
      if (retryAfter !== undefined) headers['x-upstream-retry-after'] = retryAfter
      const qs = query.toString()
      const res = await app.inject({ method: 'POST', url: '/classify' + (qs === '' ? '' : '?' + qs), headers, payload: Buffer.from(bytes) })
      const context = `POST /classify?${qs} (${bytes.length} bytes, content-type ${JSON.stringify(type)})`
      outcomes.add(String(res.statusCode))

      const answeredId = String(res.headers['x-request-id'])
      assert.match(answeredId, REQUEST_ID, `${context}: the answer's request id is well-formed`)
      if (requestId !== undefined && !REQUEST_ID.test(requestId)) assert.notEqual(answeredId, requestId, `${context}: a malformed id is never echoed`)

      if (res.statusCode === 200) {
        if (format === 'text') {
          assert.match(String(res.headers['content-type']), /^text\/plain/, `${context}: text was asked for`)
        } else {
          assert.match(String(res.headers['content-type']), /^application\/json/, `${context}: JSON`)
          const result = checkClassification(res.json(), context)
          if (upstreamStatus !== undefined) assert.equal(result.http_status, upstreamStatus, `${context}: the given status is the answer's http_status`)
        }
      } else {
        const statusValid = upstreamStatus === undefined || (upstreamStatus >= 100 && upstreamStatus <= 599)
        assert.equal(res.statusCode, 400, `${context}: only a 400, never a 415 or another error`)
        if (format === 'text') {
          checkTextProblem(res, context)
          assert.ok(!statusValid, `${context}: valid input refused: ${res.body}`)
          assert.match(res.body, /field "status"/, `${context}: the problem names the status field`)
        } else {
          const problem = checkProblem(res, context)
          assert.ok(!statusValid, `${context}: valid input refused: ${JSON.stringify(problem)}`)
          assert.equal(problem.field, 'status', `${context}: the problem names the status field`)
        }
      }
      await stillServing(app)
    })
  await t.resolves(fc.assert(property, { seed: 90_901, numRuns: 400, includeErrorInReport: true }), 'the property holds for 400 runs (seed 90901)')
  t.ok(outcomes.count('200') > 100, `most runs are classified (${outcomes.count('200')})`)
  t.ok(outcomes.count('400') > 10, `invalid statuses were generated and refused (${outcomes.count('400')})`)
  t.same(outcomes.keys().filter((status) => Number(status) >= 500), [], 'no 5xx at all')
})

test('POST /classify: any bytes with a well-formed content type (or none) and a valid status (or none) → 200, with the status echoed', async (t) => {
  const { app } = await build(t)
  const outcomes = tally()
  const body = fc.oneof(
    fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)),
    fc.string({ unit: 'binary', maxLength: 1024 }),
    fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
    // Known shapes with hostile values in their fields.
    fc.record({ error: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })), code: fc.option(fc.string()), message: fc.option(fc.string()), status: fc.option(fc.jsonValue({ maxDepth: 1 })) })
      .map((value) => JSON.stringify(value)),
    // Catalog codes, messages and templates with arbitrary values around and inside them.
    fc.tuple(fc.constantFrom(...KNOWN_TEXTS), fc.string({ maxLength: 60 }), fc.constantFrom('text', 'error', 'message', 'code'))
      .map(([known, noise, shape]) => {
        const text = known.replace('{}', noise)
        return shape === 'text' ? text : JSON.stringify(shape === 'message' ? { error: { message: text } } : { [shape]: text })
      }),
    fc.string({ maxLength: 200 }).map((text) => `event: error\ndata: ${text}\n\n`),
    fc.string({ maxLength: 200 }).map((text) => `<html><title>${text}`)
  )
  const property = fc.asyncProperty(
    body, fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }), fc.option(fc.integer({ min: 100, max: 599 }), { nil: undefined }),
    async (payload, type, status) => {
      const res = await app.inject({
        method: 'POST',
        url: '/classify' + (status === undefined ? '' : `?status=${status}`),
        headers: type === undefined ? {} : { 'content-type': type },
        payload
      })
      const context = `POST /classify status ${status} content-type ${type}`
      assert.equal(res.statusCode, 200, `${context}: ${res.body.slice(0, 300)}`)
      const result = checkClassification(res.json(), context)
      outcomes.add(result.matched_by)
      if (status !== undefined) assert.equal(result.http_status, status, `${context}: http_status is the given status`)
      if (status === undefined && result.http_status !== null) assert.ok(result.http_status >= 400 && result.http_status <= 599, `${context}: a status read from the body is an error status`)
    })
  await t.resolves(fc.assert(property, { seed: 90_902, numRuns: 200, includeErrorInReport: true }), 'the property holds for 200 runs (seed 90902)')
  await stillServing(app)
  t.ok(['status', 'none', 'message', 'message_template', 'code'].every((rule) => outcomes.count(rule) > 0), `the runs reached every kind of rule (${outcomes.keys().join(', ')})`)
})

test('POST /classify/batch: arbitrary JSON values as bodies → 200 with one valid classification per item, or a 400 naming the bad field', async (t) => {
  const { app } = await build(t)
  const outcomes = tally()
  const item = fc.record({
    body: fc.oneof(fc.jsonValue(), fc.jsonValue({ stringUnit: 'binary' }), fc.string({ unit: 'binary', maxLength: 500 })),
    status: fc.oneof(
      { weight: 6, arbitrary: fc.integer({ min: 100, max: 599 }) },
      { weight: 2, arbitrary: fc.constantFrom(null, undefined) },
      { weight: 1, arbitrary: fc.integer({ min: -10_000, max: 10_000 }) }
    ),
    content_type: fc.option(fc.oneof(fc.constantFrom(...CONTENT_TYPES), fc.string({ maxLength: 40 })), { nil: undefined }),
    headers: fc.option(fc.dictionary(fc.constantFrom('x-request-id', 'retry-after', 'x-upstream-retry-after-ms', 'X-Should-Retry', 'other'), fc.string({ maxLength: 300 })), { nil: undefined })
  }, { requiredKeys: ['body'] })
  const property = fc.asyncProperty(fc.array(item, { maxLength: 8 }), async (items) => {
    const payload = JSON.stringify({ items })
    const res = await app.inject({ method: 'POST', url: '/classify/batch', headers: { 'content-type': 'application/json' }, payload })
    const context = `POST /classify/batch with ${items.length} items`
    outcomes.add(String(res.statusCode))
    const badStatus = items.findIndex((one) => typeof one.status === 'number' && (one.status < 100 || one.status > 599))
    // Fastify's JSON parser refuses __proto__ and constructor.prototype keys outright.
    const poisoned = /"(__proto__|constructor)":/.test(payload)
    if (res.statusCode === 200) {
      assert.equal(badStatus, -1, `${context}: an out-of-range status was accepted`)
      const results = (res.json() as { results: unknown[] }).results
      assert.equal(results.length, items.length, `${context}: one result per item`)
      results.forEach((result, i) => checkClassification(result, `${context}, item ${i}`))
    } else {
      const problem = checkProblem(res, context)
      assert.equal(res.statusCode, 400, `${context}: only a 400`)
      if (!poisoned) assert.equal(problem.field, `items.${badStatus}.status`, `${context}: the problem names the first bad status`)
    }
    await stillServing(app)
  })
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort()
  await t.resolves(fc.assert(property, { seed: 90_903, numRuns: 200, includeErrorInReport: true }), 'the property holds for 200 runs (seed 90903)')
  t.same(Object.getOwnPropertyNames(Object.prototype).sort(), prototypeKeys, 'Object.prototype is not polluted')
  t.ok(outcomes.count('200') > 50, `most batches are classified (${outcomes.count('200')})`)
  t.ok(outcomes.count('400') > 5, `bad statuses were generated and refused (${outcomes.count('400')})`)
})

test('GET /codes/:code: any string → 200, 404, 400 or 414, each matching the document', async (t) => {
  const { app } = await build(t)
  const outcomes = tally()
  const known = ['scope_insufficient', 'QUOTA_EXCEEDED', 'sandbox_not_found', 'BACKEND_RATE_LIMITED', 'SCAIMATRIX_INDEX_NOT_FOUND']
  const code = fc.oneof(
    fc.string({ maxLength: 200 }),
    fc.string({ minLength: 100, maxLength: 400 }),
    fc.string({ unit: 'grapheme', maxLength: 150 }),
    fc.string({ unit: 'binary-ascii', maxLength: 200 }),
    fc.constantFrom(...known).chain((one) => fc.mixedCase(fc.constant(one)))
  )
  const property = fc.asyncProperty(code, fc.option(fc.constantFrom('json', 'text'), { nil: undefined }), async (raw, format) => {
    const url = '/codes/' + encodeURIComponent(raw) + (format === undefined ? '' : `?format=${format}`)
    const res = await app.inject({ url })
    const context = `GET ${url.slice(0, 200)}`
    outcomes.add(String(res.statusCode))
    assert.ok([200, 404, 400, 414].includes(res.statusCode), `${context}: answered ${res.statusCode}`)
    const type = String(res.headers['content-type'])
    if (format === 'text' && res.statusCode === 200) {
      assert.match(type, /^text\/plain/, `${context}: text`)
    } else if (format === 'text') {
      checkTextProblem(res, context)
    } else if (res.statusCode === 200) {
      const answer = res.json() as { query: string, matches: unknown[] }
      assert.ok(validLookup(answer), `${context}: matches LookupAnswer: ${JSON.stringify(validLookup.errors)}`)
      assert.equal(answer.query, raw, `${context}: the query is the code as sent`)
      assert.ok(answer.matches.length > 0, `${context}: a 200 has matches`)
    } else {
      checkProblem(res, context)
    }
    if (/^[\x20-\x7e]*$/.test(raw) && raw.length <= 128) assert.notEqual(res.statusCode, 414, `${context}: within the limit`)
    if (raw.length > 128) assert.equal(res.statusCode, 414, `${context}: over the limit`)
  })
  await t.resolves(fc.assert(property, { seed: 90_904, numRuns: 200, includeErrorInReport: true }), 'the property holds for 200 runs (seed 90904)')
  await stillServing(app)
  t.ok(outcomes.count('200') > 0 && outcomes.count('404') > 0 && outcomes.count('414') > 0, `200, 404 and 414 were all reached (${outcomes.keys().join(', ')})`)
})

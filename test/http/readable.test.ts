// What a person meets with curl: errors as text when asked, 405 with Allow,
// GET / leading to the docs, validation that names the allowed values, and a
// saved response pasted whole as message/http.
import { test } from 'tap'
import { build } from '../helper.js'
import { PROBLEMS, problemType } from '../../src/http/problems.js'

const TEXT = /^text\/plain; charset=utf-8$/
const PROBLEM_JSON = /^application\/problem\+json/

test('errors come as text with ?format=text or Accept: text/plain, as JSON problems otherwise', async (t) => {
  const { app } = await build(t)
  const cases = [
    { url: '/nope?format=text', status: 404, first: 'Not Found: No route GET /nope. GET /openapi.json lists every route.' },
    { url: '/codes?limit=0&format=text', status: 400, first: 'Request validation failed: The querystring field "limit" must be >= 1.' },
    { url: '/codes?source=nowhere&format=text', status: 400, first: 'Unknown source:' },
    { url: '/codes/%E0%A4%A?format=text', status: 400, first: 'Bad Request: The URL is not valid' }
  ]
  for (const { url, status, first } of cases) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, status, url)
    t.match(res.headers['content-type'], TEXT, `${url}: text`)
    t.ok(res.body.startsWith(first), `${url}: ${res.body.split('\n')[0] ?? ''}`)
    t.match(res.body, new RegExp(`^  Request id   ${res.headers['x-request-id'] as string}$`, 'm'), `${url}: the request id, as in the header`)
    const json = await app.inject({ url: url.replace('format=text', 'format=json') })
    t.match(json.headers['content-type'], PROBLEM_JSON, `${url}: a JSON problem when JSON is asked for`)
  }
  const byAccept = await app.inject({ url: '/nope', headers: { accept: 'text/plain' } })
  t.match(byAccept.headers['content-type'], TEXT, 'Accept: text/plain works on an unmatched route too')
  const invalidFormat = await app.inject({ url: '/codes?format=xml', headers: { accept: 'text/plain' } })
  t.equal(invalidFormat.statusCode, 400)
  t.match(invalidFormat.headers['content-type'], TEXT, 'an invalid format falls back to the Accept header')
})

test('validation problems name the allowed values, in the detail and in valid_values', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes?format=xml' })
  t.equal(res.statusCode, 400)
  t.match(res.json(), {
    type: problemType(PROBLEMS.validation),
    detail: 'The querystring field "format" must be one of json, text.',
    field: 'format',
    valid_values: ['json', 'text']
  })
  const normalized = (await app.inject({ url: '/codes?normalized_code=slow' })).json<{ detail: string, valid_values: string[] }>()
  t.match(normalized.detail, /^The querystring field "normalized_code" must be one of invalid_request, context_length_exceeded, /)
  t.ok(normalized.valid_values.includes('rate_limited'), 'every normalized code is listed')
})

test('a path that exists answers another method with 405 and Allow; an unknown path stays 404', async (t) => {
  const { app } = await build(t)
  const cases: Array<[string, 'DELETE' | 'POST' | 'PUT' | 'PATCH' | 'GET', string]> = [
    ['/codes/scope_insufficient', 'DELETE', 'GET, HEAD'],
    ['/sources', 'POST', 'GET, HEAD'],
    ['/classify', 'GET', 'POST'],
    ['/classify/batch', 'PUT', 'POST'],
    ['/healthz', 'PATCH', 'GET, HEAD']
  ]
  for (const [url, method, allow] of cases) {
    const res = await app.inject({ method, url })
    t.equal(res.statusCode, 405, `${method} ${url}`)
    t.equal(res.headers.allow, allow, `${method} ${url}: Allow`)
    t.match(res.json(), { type: problemType(PROBLEMS.methodNotAllowed), status: 405, detail: `${method} is not a method of this path; it takes ${allow}.`, instance: url })
  }
  const text = await app.inject({ method: 'DELETE', url: '/sources?format=text' })
  t.match(text.body, /^Method Not Allowed: DELETE is not a method of this path; it takes GET, HEAD\.$/m)
  t.equal((await app.inject({ method: 'DELETE', url: '/nowhere' })).statusCode, 404)
  const spec = (await app.inject({ url: '/openapi.json' })).json<{ paths: Record<string, Record<string, unknown>> }>()
  t.same(Object.keys(spec.paths['/sources'] ?? {}), ['get'], 'the 405 answers are not operations of the OpenAPI description')
})

test('GET / redirects to the docs', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/' })
  t.equal(res.statusCode, 302)
  t.equal(res.headers.location, '/docs/')
  t.equal((await app.inject({ url: '/docs/' })).statusCode, 200)
})

const saved = [
  'HTTP/1.1 100 Continue', '',
  'HTTP/2 429 ', 'content-type: application/json', 'retry-after: 12', 'x-request-id: req_saved', '',
  '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded"},"meta":{"request_id":"req_abc123"}}'
].join('\r\n')

test('POST /classify as message/http reads a whole saved response: its status, headers and body', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'message/http' }, payload: saved })
  t.equal(res.statusCode, 200)
  t.match(res.json(), {
    source: 'scaigrid',
    code: 'BACKEND_RATE_LIMITED',
    http_status: 429,
    request_id: 'req_saved',
    retry: { strategy: 'retry_after', delay_ms: 12_000 }
  })
  const overridden = await app.inject({
    method: 'POST',
    url: '/classify?status=503',
    headers: { 'content-type': 'message/http; msgtype=response', 'x-upstream-retry-after': '3' },
    payload: saved
  })
  t.match(overridden.json(), { http_status: 503, retry: { delay_ms: 3000 } }, '?status= and x-upstream- headers win over the saved response')

  const bad = await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'message/http' }, payload: '{"error":"not a response"}' })
  t.equal(bad.statusCode, 400)
  t.match(bad.json(), { type: problemType(PROBLEMS.badRequest), detail: /^A message\/http body must be an HTTP response as curl -si prints it/ })
})

// The log: one pino line per request, written when it completes, keyed by its
// request id; a route's other lines carry the same id.
import { test } from 'tap'
import { build } from '../helper.js'

const SCAIGRID_RATE_LIMIT = '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded","retry_after":30},"meta":{"request_id":"req_abc123"}}'

test('a request writes one line when it completes: id, method, route template, status, duration', async (t) => {
  const { app, logs } = await build(t)
  const res = await app.inject({ url: '/codes/scope_insufficient?format=json', headers: { 'x-request-id': 'line-1' } })
  t.equal(res.statusCode, 200)
  const lines = logs.filter((line) => line.request_id === 'line-1')
  t.equal(lines.length, 1, 'no incoming-request line, one completion line')
  const line = lines[0] as Record<string, unknown>
  t.match(line, { level: 30, msg: 'request completed', method: 'GET', route: '/codes/:code', status: 200, duration_ms: Number })
  t.same(Object.keys(line), ['level', 'time', 'pid', 'hostname', 'request_id', 'method', 'route', 'status', 'duration_ms', 'msg'])
})

test('a classification\'s outcome is on its line; a batch lists its items in order', async (t) => {
  const { app, logs } = await build(t)
  await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'x-request-id': 'one-1', 'content-type': 'application/json' }, payload: SCAIGRID_RATE_LIMIT })
  t.match(logs.find((line) => line.request_id === 'one-1'), {
    route: '/classify',
    classification: { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', normalized_code: 'rate_limited', matched_by: 'code' }
  })
  await app.inject({
    method: 'POST',
    url: '/classify/batch',
    headers: { 'x-request-id': 'batch-1' },
    payload: { items: [{ status: 404, body: '{"error":"Agent not found"}' }, { status: 503 }] }
  })
  const batch = logs.find((line) => line.request_id === 'batch-1')
  t.same(batch?.classifications, [
    { source: 'onecli', code: 'agent_not_found', normalized_code: 'not_found', matched_by: 'message' },
    { source: null, code: null, normalized_code: 'unavailable', matched_by: 'status' }
  ])
})

test('a route\'s other lines carry the request id too', async (t) => {
  const { app, logs } = await build(t)
  app.get('/test/warn', async (request) => {
    request.log.warn('a warning from a route')
    return { ok: true }
  })
  const quiet = await app.inject({ url: '/healthz', headers: { 'x-request-id': 'quiet-1' } })
  const noisy = await app.inject({ url: '/test/warn', headers: { 'x-request-id': 'noisy-1' } })
  t.equal(quiet.statusCode, 200)
  t.equal(noisy.statusCode, 200)
  t.same(logs.filter((line) => line.request_id === 'quiet-1').map((line) => line.msg), ['request completed'])
  t.same(logs.filter((line) => line.request_id === 'noisy-1').map((line) => line.msg), ['a warning from a route', 'request completed'])
})

test('an unmatched URL is logged under one route label, never the raw URL', async (t) => {
  const { app, logs } = await build(t)
  const res = await app.inject({ url: '/no/such/route?secret=1', headers: { 'x-request-id': 'none-1' } })
  t.equal(res.statusCode, 404)
  const lines = logs.filter((line) => line.request_id === 'none-1')
  t.same(lines.map((line) => [line.msg, line.route, line.status]), [['request completed', '(no route)', 404]])
  t.notOk(JSON.stringify(logs).includes('/no/such/route'), 'the raw URL is not logged')
})

import { test } from 'tap'
import { build } from '../helper.js'
import { shutdown } from '../../src/ops/lifecycle.js'

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

test('a well-formed x-request-id is kept, answered and on every log line', async (t) => {
  const { app, logs } = await build(t)
  const id = 'gw-7f3a.b:9_x-1'
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': id } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['x-request-id'], id)
  const lines = logs.filter((line) => line.request_id !== undefined)
  t.ok(lines.length >= 1, 'the request logged at least one line')
  t.ok(lines.every((line) => line.request_id === id), 'every request line carries the id')
})

test('a missing or malformed x-request-id is replaced by a new UUID and never echoed', async (t) => {
  const { app, logs } = await build(t)
  const bad = [
    undefined,
    '',
    'has space',
    'x'.repeat(129),
    'evil\u0007bell',
    'id,with,commas',
    '{"json":1}',
    'ünïcödé'
  ]
  for (const value of bad) {
    const headers: Record<string, string> = value === undefined ? {} : { 'x-request-id': value }
    const res = await app.inject({ url: '/healthz', headers })
    const answered = res.headers['x-request-id'] as string
    t.match(answered, uuid, `replaced: ${JSON.stringify(value)?.slice(0, 20)}`)
    t.not(answered, value)
  }
  const written = JSON.stringify(logs)
  t.notOk(written.includes('has space') || written.includes('evil') || written.includes('xxxxxxxxxx'), 'no rejected id reaches the logs')
})

test('a duplicated x-request-id is replaced', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': ['a1', 'b2'] } })
  t.match(res.headers['x-request-id'], uuid)
})

test('the 128-character id at the limit is kept', async (t) => {
  const { app } = await build(t)
  const id = 'a'.repeat(128)
  const res = await app.inject({ url: '/healthz', headers: { 'x-request-id': id } })
  t.equal(res.headers['x-request-id'], id)
})

test('each request writes one completion line with method, route, status and duration, and no headers', async (t) => {
  const { app, logs } = await build(t)
  await app.inject({ url: '/readyz', headers: { 'x-request-id': 'req-1', authorization: 'Bearer sekrit-token' } })
  const lines = logs.filter((line) => line.request_id === 'req-1')
  t.equal(lines.length, 1)
  t.match(lines[0], { msg: 'request completed', method: 'GET', route: '/readyz', status: 200, duration_ms: Number })
  t.notOk(JSON.stringify(logs).includes('sekrit'), 'credentials never logged')
})

test('an unknown route answers a 404 problem', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/no/such/route?q=1', headers: { 'x-request-id': 'r-404' } })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  t.same(res.json(), {
    type: 'urn:errcat:problem:not-found',
    title: 'Not Found',
    status: 404,
    detail: 'No route GET /no/such/route. GET /openapi.json lists every route.',
    instance: '/no/such/route',
    request_id: 'r-404'
  })
})

test('a 500 says nothing internal', async (t) => {
  const { app, logs } = await build(t)
  app.get('/boom', async () => { throw new Error('secret internals at /etc/passwd') })
  const res = await app.inject({ url: '/boom' })
  t.equal(res.statusCode, 500)
  t.match(res.headers['content-type'], /^application\/problem\+json/)
  const body = res.json()
  t.match(body, { type: 'urn:errcat:problem:internal', title: 'Internal Server Error', status: 500, instance: '/boom', request_id: String })
  t.notOk(res.body.includes('secret') || res.body.includes('stack'), 'no exception message or stack in the answer')
  t.ok(logs.some((line) => line.msg === 'request failed'), 'the error itself is logged for operators')
})

test('healthz answers while running; readyz reports the catalog and fails from the moment shutdown begins', async (t) => {
  const { app } = await build(t)
  const health = await app.inject({ url: '/healthz' })
  t.same(health.json(), { status: 'ok' })
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.match(ready.json(), { status: 'ready', catalog: { version: /^[0-9a-f]{16}$/, loaded_at: String, entries: Number } })

  app.lifecycle.draining = true
  const draining = await app.inject({ url: '/readyz' })
  t.equal(draining.statusCode, 503)
  t.match(draining.json(), { status: 503, type: 'urn:errcat:problem:shutting-down' })
  t.equal(draining.headers.connection, 'close', 'connections close after each answer while draining')
  await shutdown(app)
})

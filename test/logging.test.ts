// The per-request logger: a request's lines carry its id whether the parent
// writes them (the completion line) or the child made on demand (any other).
import { test } from 'tap'
import { Writable } from 'node:stream'
import pino from 'pino'
import { RequestLogger, requestLogger } from '../src/logging.js'
import { buildTestApp } from './helpers.js'

function capture (): { logger: pino.Logger, lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter((line) => line !== ''))
      callback()
    }
  })
  // A fixed clock, so that two lines can be compared byte for byte.
  return { logger: pino({ level: 'info', timestamp: () => ',"time":1' }, stream), lines }
}

test('the completion line is the very JSON a pino child writes', async (t) => {
  const { logger, lines } = capture()
  const fields = { method: 'POST', route: '/classify', status: 200, duration_ms: 0.42, classification: { source: 'scaigrid', code: null } }
  const log = new RequestLogger(logger, { request_id: 'req-1' })
  log.completed('info', { request_id: log.idForCompletionLine(), ...fields }, 'request completed')
  logger.child({ request_id: 'req-1' }).info(fields, 'request completed')
  t.equal(lines.length, 2)
  t.equal(lines[0], lines[1], 'byte for byte')
  t.match(JSON.parse(lines[0] as string), { request_id: 'req-1', msg: 'request completed', classification: { source: 'scaigrid' } })
})

test('any other line makes the child, and later lines, the completion line included, carry the id once', async (t) => {
  const { logger, lines } = capture()
  const log = new RequestLogger(logger, { request_id: 'req-2' })
  t.equal(log.level, 'info', 'the parent\'s level before any child')
  log.debug('not written at info')
  log.warn({ pressure: 'eventLoopDelay' }, 'shedding load')
  log.error(new Error('boom'))
  log.info('plain %s', 'text')
  t.equal(log.idForCompletionLine(), undefined, 'once the child exists, it carries the id')
  log.completed('info', { request_id: log.idForCompletionLine(), status: 503 }, 'request completed')
  log.child({ part: 'x' }).info('from a grandchild')
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
  t.same(parsed.map((line) => line.msg), ['shedding load', 'boom', 'plain text', 'request completed', 'from a grandchild'])
  t.ok(parsed.every((line) => line.request_id === 'req-2'), 'every line carries the request id')
  t.ok(lines.every((line) => line.split('"request_id"').length === 2), 'exactly once')
  t.match(parsed[1], { err: { message: 'boom', type: 'Error' } }, 'an error is serialized as pino does')
  t.match(parsed[4], { part: 'x' })

  log.level = 'warn'
  t.equal(log.level, 'warn')
  log.info('dropped')
  log.fatal('kept')
  log.trace('dropped too')
  log.silent()
  t.same(lines.slice(5).map((line) => (JSON.parse(line) as { msg: string }).msg), ['kept'])
})

test('a route with its own log level or serializers gets a real child at once', async (t) => {
  const { logger } = capture()
  t.type(requestLogger(logger, { request_id: 'a' }, {}), RequestLogger)
  const withLevel = requestLogger(logger, { request_id: 'b' }, { level: 'warn' })
  t.notOk(withLevel instanceof RequestLogger)
  t.equal(withLevel.level, 'warn')
  t.notOk(requestLogger(logger, { request_id: 'c' }, { serializers: {} }) instanceof RequestLogger)
})

test('in the service, a request\'s completion line and its other lines carry its id', async (t) => {
  const { app, logs } = await buildTestApp()
  t.teardown(() => app.close())
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

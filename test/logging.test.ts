// The per-request logger: a request's lines carry its id whether the parent
// writes them (the completion line) or the child made on demand (any other).
import { test } from 'tap'
import { Writable } from 'node:stream'
import { tracingChannel } from 'node:diagnostics_channel'
import pino from 'pino'
import { SerializedFact, RequestLogger, requestLogger } from '../src/logging.js'
import { buildTestApp } from './helpers.js'

function capture (options: pino.LoggerOptions = {}): { logger: pino.Logger, lines: string[] } {
  const lines: string[] = []
  const stream = new Writable({
    write (chunk, _encoding, callback) {
      lines.push(...String(chunk).split('\n').filter((line) => line !== ''))
      callback()
    }
  })
  // A fixed clock, so that two lines can be compared byte for byte.
  return { logger: pino({ level: 'info', timestamp: () => ',"time":1', ...options }, stream), lines }
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

test('a successful request\'s completion line, joined by hand, is byte for byte the line a pino child writes', async (t) => {
  const { logger, lines } = capture()
  const facts = { classification: { source: 'scaigrid', code: null, message: 'a "quoted" — line\n' }, classifications: [{ matched_by: 'code' }] }
  const log = new RequestLogger(logger, { request_id: 'req-3' })
  t.equal(log.writeCompletionLine('POST', '/classify', 200, 0.42, facts), true, 'written by hand')
  logger.child({ request_id: 'req-3' }).info({ method: 'POST', route: '/classify', status: 200, duration_ms: 0.42, ...facts }, 'request completed')
  t.equal(log.writeCompletionLine('GET', '(no route)', 404, Number.NaN, { hidden: { toJSON: () => undefined } }), true)
  logger.child({ request_id: 'req-3' }).info({ method: 'GET', route: '(no route)', status: 404, duration_ms: Number.NaN, hidden: { toJSON: () => undefined } }, 'request completed')
  t.equal(lines.length, 4)
  t.equal(lines[0], lines[1], 'with facts')
  t.equal(lines[2], lines[3], 'a fact that serializes to nothing left out, a non-finite duration as null')

  logger.level = 'warn'
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, null), true, 'an info line at warn level is done with')
  t.equal(lines.length, 4, 'and not written')
})

test('serialized facts, one or a list, are written once, and their line is byte for byte the one pino writes', async (t) => {
  const { logger, lines } = capture()
  const value = { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', normalized_code: 'rate_limited', matched_by: 'code' }
  const fact = SerializedFact.fixed(value)
  value.code = 'changed after'
  t.equal(fact.json, '{"source":"scaigrid","code":"BACKEND_RATE_LIMITED","normalized_code":"rate_limited","matched_by":"code"}', 'a copy of the value, taken when made')
  t.ok(Object.isFrozen(fact.toJSON()), 'and frozen')
  const other = SerializedFact.fixed({ source: null, code: null, normalized_code: 'unknown', matched_by: 'none', note: 'a "quoted" — line\n' })
  const list = SerializedFact.list([fact, other, fact])
  t.equal(list.json, JSON.stringify([fact, other, fact]), 'a list joins its facts\' JSON as JSON.stringify writes the list')
  t.equal(SerializedFact.list([]).json, '[]', 'an empty list')
  const facts = { classification: fact, classifications: list }
  const log = new RequestLogger(logger, { request_id: 'req-7' })
  t.equal(log.writeCompletionLine('POST', '/classify', 200, 0.5, facts), true, 'written by hand')
  logger.child({ request_id: 'req-7' }).info({ method: 'POST', route: '/classify', status: 200, duration_ms: 0.5, ...facts }, 'request completed')
  log.warn('a second line makes the child, which then writes the completion line through pino')
  log.completed('info', { request_id: log.idForCompletionLine(), method: 'POST', route: '/classify', status: 200, duration_ms: 0.5, ...facts }, 'request completed')
  t.equal(lines.length, 4)
  t.equal(lines[0], lines[1], 'by hand as pino writes it')
  t.equal(lines[3], lines[0], 'pino, writing it itself, serializes the facts to the same JSON')
})

test('pino writes the completion line when joining it by hand would not reproduce pino', async (t) => {
  const cases: Array<[string, pino.LoggerOptions]> = [
    ['a mixin', { mixin: () => ({ extra: 1 }) }],
    ['a log formatter', { formatters: { log: (object) => object } }],
    ['a log method hook', { hooks: { logMethod (args, method) { method.apply(this, args) } } }],
    ['an error key on one of its keys', { errorKey: 'route' }],
    ['redaction', { redact: ['classification.code'] }],
    ['a serializer of one of its keys', { serializers: { route: () => 'hidden' } }],
    ['a nested key', { nestedKey: 'payload' }],
    ['another message key', { messageKey: 'message' }]
  ]
  for (const [name, options] of cases) {
    const { logger, lines } = capture(options)
    const log = new RequestLogger(logger, { request_id: 'req-4' })
    t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, null), false, `not by hand with ${name}`)
    t.equal(lines.length, 0, `nothing written by hand with ${name}`)
  }

  const { logger, lines } = capture({ serializers: { classification: () => 'hidden' } })
  const log = new RequestLogger(logger, { request_id: 'req-5' })
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, { classification: { code: 'x' } }), false, 'a fact with its own serializer')
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, { note: 'text' }), false, 'a fact that is not an object or a list')
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, { skipped: undefined }), true, 'an undefined fact is left out, as pino does')
  t.notMatch(lines[0], /skipped/)
  const circular: Record<string, unknown> = {}
  circular.self = circular
  const unusual: Array<[string, Record<string, unknown>]> = [
    ['a fact under an array index, which pino writes first', { 7: [1] }],
    ['a fact under one of the line\'s own keys', { status: { overridden: true } }],
    ['a fact whose name needs escaping', { 'a"b': {} }],
    ['a circular fact', { loop: circular }],
    ['a BigInt in a fact', { big: { n: 1n } }]
  ]
  for (const [name, unusualFacts] of unusual) {
    t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, unusualFacts), false, name)
  }
  t.equal(log.writeCompletionLine('GET', '/a"quoted"/route', 200, 1, null), false, 'a route that needs escaping')
  t.equal(log.writeCompletionLine('GET', '/\ud800', 200, 1, null), false, 'a route with a lone surrogate, which pino writes raw')
  t.equal(lines.length, 1, 'none of these was written by hand')

  const { logger: errorKeyed } = capture({ errorKey: 'classification' })
  t.equal(new RequestLogger(errorKeyed, { request_id: 'req-6' }).writeCompletionLine('GET', '/healthz', 200, 1, { classification: { message: 'x' } }), false,
    'a fact under the error key, which pino serializes as an error')

  const traced: unknown[] = []
  const subscriber = { start: (message: unknown) => { traced.push(message) }, end: () => {}, asyncStart: () => {}, asyncEnd: () => {}, error: () => {} }
  tracingChannel('pino_asJson').subscribe(subscriber)
  t.teardown(() => { tracingChannel('pino_asJson').unsubscribe(subscriber) })
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, null), false, 'a subscriber to pino\'s tracing sees every line pino formats')
  log.completed('info', { request_id: log.idForCompletionLine(), status: 200 }, 'request completed')
  t.equal(traced.length, 1, 'pino traced the line it wrote instead')

  log.warn('another line makes the child')
  t.equal(log.writeCompletionLine('GET', '/healthz', 200, 1, null), false, 'a request with its child logs through it')
  t.equal(new RequestLogger(logger, { request_id: 42 }).writeCompletionLine('GET', '/healthz', 200, 1, null), false, 'an id that is not a string')
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
  // The service's own logger is one whose completion lines are joined by hand.
  t.equal(new RequestLogger(app.log, { request_id: 'direct-1' }).writeCompletionLine('GET', '/healthz', 200, 1, null), true)
  t.match(logs.at(-1), { request_id: 'direct-1', route: '/healthz', msg: 'request completed' })
})

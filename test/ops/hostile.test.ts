// The hostile suite of bench/attacks.ts at a small size, on every run (issue
// #22): each attack against errcat, then the promises that hold on any
// machine: no 5xx, no crash, RFC 9457 problems, a 413 rather than EPIPE, bad
// Retry-After values ignored. Latency and memory depend on the machine:
// `npm run hostile` measures them, never this.
import t, { test, type Test } from 'tap'
import { cpSync } from 'node:fs'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { build, CATALOG_DIR, startService } from '../helper.js'
import {
  answersCounted, badRetryAfter, catalogFifo, catalogReloads, fiveHundreds, healthy, malformedRequests, MALFORMED_REQUESTS, merged, metricsScrapers,
  nestedJson, normalClient, observed, overLimitBody, percentile, pipeliningFlood, problemViolation, prototypeKeys, record,
  threeAtOnce, total, type Observed
} from '../../bench/attacks.js'

// The slow clients alone take errcat's 10 s request timeout, and a spawned service boots slowly on a busy machine.
t.setTimeout(110_000)

async function listening (t: Test): Promise<number> {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  return (app.server.address() as AddressInfo).port
}

/** The promises every attack keeps: no 5xx seen or counted by errcat, problems as RFC 9457 says, errcat alive. */
async function kept (t: Test, port: number, seen: Observed, what: string): Promise<void> {
  t.equal(fiveHundreds(seen), 0, `${what}: no 5xx answer`)
  t.equal(seen.badProblems, 0, `${what}: every error answer is an RFC 9457 problem (${seen.problemsChecked} checked)`)
  t.same(seen.violations, [], `${what}: every answer as promised`)
  // A new app renders its metrics at the first scrape: the count is current.
  t.equal(fiveHundreds({ statuses: await answersCounted(port) }), 0, `${what}: errcat counted no 5xx`)
  t.ok(await healthy(port), `${what}: errcat is alive and /healthz answers 200`)
}

test('a pipelining flood that reads nothing: errcat closes every connection', async (t) => {
  const port = await listening(t)
  const seen = await pipeliningFlood(port, { connections: 2, requests: 5000, closeWithinMs: 20_000 })
  t.equal(seen.closedByErrcat, 2, 'both connections closed by errcat')
  await kept(t, port, seen, 'the flood')
})

test('JSON nested 100,000 deep: read as text by /classify, refused by the batch', async (t) => {
  const port = await listening(t)
  const seen = await nestedJson(port, { depth: 100_000, requests: 14, concurrency: 2 })
  t.same(seen.statuses, { 200: 8, 400: 6 }, 'each case twice: 200 as text, 400 in a batch')
  await kept(t, port, seen, 'nested JSON')
})

test('the flood, nested JSON and slow clients at once, with a normal client meanwhile', async (t) => {
  const port = await listening(t)
  const [three, normal] = await Promise.all([
    threeAtOnce(port, {
      flood: { connections: 2, requests: 5000, closeWithinMs: 20_000 },
      nested: { depth: 100_000, requests: 14, concurrency: 2 },
      // errcat cuts a slow request at 10 s, checking every second; the guard leaves a busy machine room.
      slow: { connections: 2, guardMs: 25_000 }
    }),
    normalClient(port, { durationMs: 2000, timeoutMs: 20_000 })
  ])
  t.equal(three.flood.closedByErrcat, 2, 'every flooding connection closed')
  t.same(three.slow.statuses, { 408: 2 }, 'the slow body and the slow headers each cut with a 408 problem')
  t.ok(total(normal.classify.statuses) > 0 && total(normal.healthz.statuses) > 0, 'the normal client was answered')
  t.ok(Number.isFinite(percentile(normal.classify.ms, 0.99)), 'its latency is measured (and judged by npm run hostile only)')
  await kept(t, port, merged(three.flood, three.nested, three.slow, normal.classify, normal.healthz), 'three attackers at once')
})

test('bad Retry-After values are ignored, never read as "retry at once"', async (t) => {
  const port = await listening(t)
  const seen = await badRetryAfter(port, { rounds: 1 })
  t.ok((seen.statuses[200] ?? 0) > 0, `${total(seen.statuses)} classifications`)
  await kept(t, port, seen, 'bad Retry-After')
})

test('malformed requests on raw sockets each get a 400 or 431 problem with an x-request-id', async (t) => {
  const port = await listening(t)
  const seen = await malformedRequests(port, { rounds: 1 })
  t.equal(total(seen.statuses), MALFORMED_REQUESTS.length, 'each answered')
  t.equal(seen.problemsChecked, MALFORMED_REQUESTS.length, 'each answer checked as a problem')
  await kept(t, port, seen, 'malformed requests')
})

test('a 2 MiB body sent with fetch gets the 413 problem, not EPIPE', async (t) => {
  const port = await listening(t)
  const seen = await overLimitBody(port, { bytes: 2 * 1024 * 1024, requests: 3 })
  t.same(seen.statuses, { 413: 3 }, 'a 413 each, JSON or text as asked')
  t.same(seen.errors, {}, 'no client error: no EPIPE, no reset')
  await kept(t, port, seen, 'over-limit bodies')
})

test('__proto__ keys in a batch are data; a batch as text/plain is a 415', async (t) => {
  const port = await listening(t)
  const seen = await prototypeKeys(port, { rounds: 1 })
  t.same(seen.statuses, { 200: 5, 415: 3 })
  await kept(t, port, seen, '__proto__ keys')
})

test('/metrics scrapers in a tight loop beside a normal client', async (t) => {
  const port = await listening(t)
  const [scrapes, normal] = await Promise.all([metricsScrapers(port, { scrapers: 2, durationMs: 1000 }), normalClient(port, { durationMs: 1000, timeoutMs: 20_000 })])
  t.ok((scrapes.statuses[200] ?? 0) > 0, 'scraped')
  await kept(t, port, merged(scrapes, normal.classify, normal.healthz), 'scrapers')
})

// SIGTERM under pooled clients is npm run hostile's: clients that reconnect at
// the instant errcat stops listening can meet a reset, which no test can
// time away. test/ops/drain.test.ts holds the pooled-reuse promise exactly.
test('errcat in its own process: a FIFO, a file over the size bound and a removed source are refused on SIGHUP', async (t) => {
  const dir = join(t.testdir({}), 'catalog')
  cpSync(CATALOG_DIR, dir, { recursive: true })
  const env = { ...process.env, HOST: '127.0.0.1', PORT: '0', SHED_EVENT_LOOP_DELAY_MS: '0', LOG_LEVEL: 'info', CATALOG_DIR: dir, CATALOG_FILE_LIMIT_BYTES: String(1024 * 1024) }
  const service = await startService(t, [...process.execArgv, 'src/main.ts'], { env })
  const port = Number(new URL(service.address).port)

  const fifo = await catalogFifo(port, { dir, reload: () => service.child.kill('SIGHUP'), logs: service.output }, { waitMs: 20_000 })
  if (fifo.skipped) {
    t.comment('no mkfifo here: the FIFO reload is not tried')
  } else {
    t.ok(fifo.refusalLogged, 'the reload is refused, with a log line')
    t.match(fifo.lastReload, { result: 'failure', reason: /is not a regular file/ }, '/readyz reports why')
  }
  t.same(fifo.violations, [], 'errcat keeps serving the last good catalog')

  const reloads = await catalogReloads(port, { dir, reload: () => service.child.kill('SIGHUP'), logs: service.output }, { fileBytes: 1536 * 1024, waitMs: 20_000 })
  t.match(reloads.lastReloads, [
    { result: 'failure', reason: /zz-large\.yaml: is larger than 1048576 bytes/ },
    { result: 'failure', reason: /would drop the source xerotier/ },
    { result: 'success' }
  ], 'the file over the bound and the removed source are refused; the restored catalog reloads')
  t.same(reloads.violations, [], 'errcat keeps serving throughout')
})

test('the checks themselves: what is no RFC 9457 problem is caught, and counts add up', async (t) => {
  const id = 'req-1'
  const problem = { type: 'urn:errcat:problem:not-found', title: 'Not Found', status: 404, detail: 'No route.', instance: '/x', request_id: id }
  const answer = (headers: Record<string, string>, body: unknown, status = 404) => ({ status, headers, body: typeof body === 'string' ? body : JSON.stringify(body) })
  const json = { 'content-type': 'application/problem+json; charset=utf-8', 'x-request-id': id }
  t.equal(problemViolation(answer(json, problem)), null, 'a problem passes')
  t.equal(problemViolation(answer({}, 'ok', 200)), null, 'a 200 is no error')
  t.equal(problemViolation(answer({ 'content-type': 'text/plain', 'x-request-id': id }, `Not Found: No route.\n  Request id  ${id}\n`), true), null, 'text, when asked, naming its request id')
  t.match(problemViolation(answer({ 'content-type': 'text/plain', 'x-request-id': id }, 'Not Found'), true), /does not name its request id/)
  t.match(problemViolation(answer(json, problem), true), /asked for text/)
  t.match(problemViolation(answer({ 'content-type': 'application/problem+json' }, problem)), /without an x-request-id/)
  t.match(problemViolation(answer({ 'x-request-id': id }, problem)), /no content type/)
  t.match(problemViolation(answer({ ...json, 'content-type': 'application/json' }, problem)), /not application\/problem\+json/)
  t.match(problemViolation(answer(json, '{"error":')), /not JSON/)
  t.match(problemViolation(answer(json, { ...problem, instance: undefined })), /lacks instance/)
  t.match(problemViolation(answer(json, { ...problem, type: 'about:blank' })), /of type about:blank/)
  t.match(problemViolation(answer(json, { ...problem, status: 500 })), /says status 500/)
  t.match(problemViolation(answer(json, { ...problem, request_id: 'other' })), /request_id is not its x-request-id/)

  const seen = observed()
  for (let i = 0; i < 7; i++) record(seen, answer({}, '', 503), [200], 'shed')
  record(seen, answer(json, problem), [404], 'lookup')
  t.equal(fiveHundreds(seen), 7)
  t.equal(seen.violationCount, 14, 'a wrong status and a bare error answer, each time')
  t.equal(seen.violations.length, 5, 'the first few are kept')
  const both = merged(seen, seen)
  t.same([both.statuses, both.violationCount, both.violations.length, both.problemsChecked, both.badProblems], [{ 404: 2, 503: 14 }, 28, 5, 16, 14])
  t.equal(percentile([5, 1, 4, 2, 3], 0.99), 5)
  t.equal(percentile([5, 1, 4, 2, 3], 0.5), 3)
  t.ok(Number.isNaN(percentile([], 0.99)), 'no values, no percentile')
})

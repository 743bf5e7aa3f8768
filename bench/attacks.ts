// The attacks of `npm run hostile` (issue #22), each against a running errcat
// on 127.0.0.1. Each takes the server's port and a size, is bounded in count
// and time, stops everything it opened, and returns what it saw: answers by
// status, errors by code, and every answer that broke a promise.
// bench/hostile.ts runs them at full size; test/ops/hostile.test.ts at a small
// one and checks only what does not depend on the machine's speed.
import { spawnSync } from 'node:child_process'
import { rename, rm, writeFile } from 'node:fs/promises'
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'
import { connect } from 'node:net'
import { join } from 'node:path'
import { SCAIGRID_RATE_LIMIT } from './cases.js'

export const HOST = '127.0.0.1'

/** What one attack saw. */
export interface Observed {
  /** Answers by status code. */
  statuses: Record<string, number>
  /** Requests that got no answer, by error code. */
  errors: Record<string, number>
  /** Error answers checked against RFC 9457, and those that were not such a problem. */
  problemsChecked: number
  badProblems: number
  /** Answers that broke a promise: the first few, described. */
  violations: string[]
  /** Answers that broke a promise, all of them. */
  violationCount: number
}

const KEPT_VIOLATIONS = 5

export function observed (): Observed {
  return { statuses: {}, errors: {}, problemsChecked: 0, badProblems: 0, violations: [], violationCount: 0 }
}

function bump (counts: Record<string, number>, key: string | number, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by
}

export function violation (seen: Observed, what: string): void {
  seen.violationCount++
  if (seen.violations.length < KEPT_VIOLATIONS) seen.violations.push(what)
}

/** The code of a failed request: ECONNRESET, ECONNREFUSED, EPIPE, TIMEOUT, … */
export function errorCode (error: unknown): string {
  const cause = (error as { cause?: unknown }).cause
  const code = (error as NodeJS.ErrnoException).code ?? (cause as NodeJS.ErrnoException | undefined)?.code
  return code ?? (error as Error).message ?? String(error)
}

export function failure (seen: Observed, error: unknown): string {
  const code = errorCode(error)
  bump(seen.errors, code)
  return code
}

/** Answers with a status of 500 or more. */
export function fiveHundreds (seen: Pick<Observed, 'statuses'>): number {
  return Object.entries(seen.statuses).reduce((sum, [status, count]) => sum + (Number(status) >= 500 ? count : 0), 0)
}

export function total (counts: Record<string, number>): number {
  return Object.values(counts).reduce((sum, count) => sum + count, 0)
}

export function merged (...all: Observed[]): Observed {
  const into = observed()
  for (const seen of all) {
    for (const [status, count] of Object.entries(seen.statuses)) bump(into.statuses, status, count)
    for (const [code, count] of Object.entries(seen.errors)) bump(into.errors, code, count)
    into.problemsChecked += seen.problemsChecked
    into.badProblems += seen.badProblems
    into.violationCount += seen.violationCount
    into.violations.push(...seen.violations.slice(0, KEPT_VIOLATIONS - into.violations.length))
  }
  return into
}

/** The value at or below which a share `p` (0 to 1) of the values lie. */
export function percentile (values: readonly number[], p: number): number {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))] as number
}

export interface Answer {
  status: number
  headers: IncomingHttpHeaders
  body: string
  ms: number
}

export interface Sent {
  method?: string
  path: string
  headers?: Record<string, string>
  body?: string | Buffer
  /** A pooled agent, as a gateway has; by default, a connection of its own. */
  agent?: Agent
  /** Fails with TIMEOUT when the socket is silent this long. */
  timeoutMs?: number
}

export async function exchange (port: number, sent: Sent): Promise<Answer> {
  const start = performance.now()
  return await new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: HOST, port, method: sent.method ?? 'GET', path: sent.path, headers: sent.headers ?? {}, agent: sent.agent ?? false }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - start }))
    })
    outgoing.setTimeout(sent.timeoutMs ?? 10_000, () => outgoing.destroy(Object.assign(new Error('no answer in time'), { code: 'TIMEOUT' })))
    // Whether the request went on a pooled connection already used, or a new one.
    outgoing.on('error', (error) => reject(Object.assign(error, { reusedSocket: outgoing.reusedSocket })))
    outgoing.end(sent.body)
  })
}

/**
 * Why an answer is not the RFC 9457 problem it must be, or null when it is (or
 * is no error). A client that asked for text gets the problem as text, which
 * still names the request id.
 */
export function problemViolation (answer: { status: number, headers: Record<string, string | string[] | undefined>, body: string }, askedForText = false): string | null {
  if (answer.status < 400) return null
  const contentType = String(answer.headers['content-type'] ?? '')
  const id = answer.headers['x-request-id']
  if (typeof id !== 'string' || id === '') return `${answer.status} without an x-request-id header`
  if (askedForText) {
    if (!contentType.startsWith('text/plain')) return `${answer.status} asked for text, answered as ${contentType === '' ? 'no content type' : contentType}`
    return answer.body.includes(id) ? null : `${answer.status} as text does not name its request id`
  }
  if (!contentType.startsWith('application/problem+json')) return `${answer.status} answered as ${contentType === '' ? 'no content type' : contentType}, not application/problem+json`
  let problem: Record<string, unknown>
  try {
    problem = JSON.parse(answer.body) as Record<string, unknown>
  } catch {
    return `${answer.status} problem is not JSON: ${answer.body.slice(0, 80)}`
  }
  const missing = ['type', 'title', 'detail', 'instance', 'request_id'].filter((member) => typeof problem[member] !== 'string')
  if (missing.length > 0) return `${answer.status} problem lacks ${missing.join(', ')}`
  if (!(problem.type as string).startsWith('urn:errcat:problem:')) return `${answer.status} problem of type ${String(problem.type)}`
  if (problem.status !== answer.status) return `${answer.status} problem says status ${String(problem.status)}`
  if (problem.request_id !== id) return `${answer.status} problem's request_id is not its x-request-id`
  return null
}

/** Counts an answer, and notes it if its status is not the expected one or it is an error answer that is no problem. */
export function record (seen: Observed, answer: { status: number, headers: Record<string, string | string[] | undefined>, body: string }, expected: readonly number[], what: string, askedForText = false): void {
  bump(seen.statuses, answer.status)
  if (!expected.includes(answer.status)) violation(seen, `${what}: ${answer.status}, expected ${expected.join(' or ')}`)
  if (answer.status >= 400) {
    seen.problemsChecked++
    const wrong = problemViolation(answer, askedForText)
    if (wrong !== null) {
      seen.badProblems++
      violation(seen, `${what}: ${wrong}`)
    }
  }
}

/** The first answer in bytes read off a raw socket: status, headers (lowercase names) and body. */
export function parseRawAnswer (text: string): { status: number, headers: Record<string, string>, body: string } | null {
  const end = text.indexOf('\r\n\r\n')
  const statusLine = /^HTTP\/1\.[01] (\d{3}) /.exec(text)
  if (end === -1 || statusLine === null) return null
  const headers: Record<string, string> = {}
  for (const line of text.slice(0, end).split('\r\n').slice(1)) {
    const colon = line.indexOf(':')
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  const length = Number(headers['content-length'])
  const rest = text.slice(end + 4)
  return { status: Number(statusLine[1]), headers, body: Number.isInteger(length) ? rest.slice(0, length) : rest }
}

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Whether errcat still answers GET /healthz with 200, on a connection of its own. */
export async function healthy (port: number, timeoutMs = 5000): Promise<boolean> {
  try {
    return (await exchange(port, { path: '/healthz', timeoutMs })).status === 200
  } catch {
    return false
  }
}

/**
 * errcat's own count of its answers by status, from GET /metrics: it includes
 * answers no attacker read. /metrics renders at most once a second, so a
 * count taken less than a second after the last is stale.
 */
export async function answersCounted (port: number): Promise<Record<string, number>> {
  const text = (await exchange(port, { path: '/metrics' })).body
  const counts: Record<string, number> = {}
  for (const match of text.matchAll(/^errcat_http_request_duration_seconds_count\{[^}]*status_code="(\d+)"[^}]*\} (\d+)/gm)) {
    bump(counts, match[1] as string, Number(match[2]))
  }
  return counts
}

// 1. Pipelining flood -------------------------------------------------------

export interface FloodSize {
  connections: number
  /** Requests each connection pipelines, all written at once. */
  requests: number
  /** Keep flooding, round after round, this long (one round at least). */
  durationMs?: number
  /** How long errcat may take to close a flooding connection. */
  closeWithinMs?: number
}

export interface FloodObserved extends Observed {
  connections: number
  closedByErrcat: number
  leftOpen: number
}

const HEALTHZ_REQUEST = 'GET /healthz HTTP/1.1\r\nHost: errcat\r\n\r\n'

/** One connection that writes every request at once and reads nothing. */
async function floodOne (port: number, payload: Buffer, closeWithinMs: number): Promise<{ outcome: 'closed' | 'left open' | 'not connected', received: string, error: string | null }> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: HOST })
    // Paused before it connects, the socket reads nothing: errcat's answers pile up unread.
    socket.pause()
    let connected = false
    let gaveUp = false
    let received = ''
    let error: string | null = null
    // A paused socket may not notice that errcat closed it; reading again shows it.
    const look = setTimeout(() => {
      socket.on('data', (chunk: Buffer) => { received += chunk.toString('latin1') })
      socket.resume()
    }, Math.min(2000, closeWithinMs / 2))
    const guard = setTimeout(() => { gaveUp = true; socket.destroy() }, closeWithinMs)
    socket.on('connect', () => { connected = true; socket.write(payload) })
    socket.on('error', (err) => { error = errorCode(err) })
    socket.on('close', () => {
      clearTimeout(look)
      clearTimeout(guard)
      resolve({ outcome: !connected ? 'not connected' : gaveUp ? 'left open' : 'closed', received, error })
    })
  })
}

/**
 * Connections that each pipeline `requests` GET /healthz and never read the
 * answers. errcat must close each (it allows 128 unanswered requests).
 */
export async function pipeliningFlood (port: number, size: FloodSize): Promise<FloodObserved> {
  const seen: FloodObserved = { ...observed(), connections: 0, closedByErrcat: 0, leftOpen: 0 }
  const payload = Buffer.from(HEALTHZ_REQUEST.repeat(size.requests))
  const until = performance.now() + (size.durationMs ?? 0)
  do {
    const round = await Promise.all(Array.from({ length: size.connections }, async () => await floodOne(port, payload, size.closeWithinMs ?? 15_000)))
    for (const { outcome, received, error } of round) {
      seen.connections++
      if (outcome === 'closed') seen.closedByErrcat++
      else violation(seen, `a flooding connection was ${outcome}`)
      if (outcome === 'left open') seen.leftOpen++
      if (error !== null) bump(seen.errors, error)
      // Whatever answers arrived before the close: all for GET /healthz.
      for (const match of received.matchAll(/(?:^|\r\n)HTTP\/1\.1 (\d{3}) /g)) {
        bump(seen.statuses, match[1] as string)
        if (match[1] !== '200') violation(seen, `a pipelined GET /healthz answered ${match[1] as string}`)
      }
    }
  } while (performance.now() < until)
  return seen
}

// 2. JSON nested past any real error body ------------------------------------

export interface NestedSize {
  /** How deep the JSON nests; errcat parses no JSON deeper than 64. */
  depth: number
  /** Requests in all, spread over the cases. */
  requests: number
  /** Requests in flight at once, each sender on a pooled connection. */
  concurrency: number
  /** Stop after this long, if the requests are not all sent by then. */
  durationMs?: number
}

interface NestedCase {
  name: string
  path: string
  headers: Record<string, string>
  body: Buffer
  expect: number
  text?: boolean
}

/** Nested JSON to /classify (read as text: 200) and in or as a batch (400, or 200 as a string body). */
export function nestedCases (depth: number): NestedCase[] {
  const arrays = '['.repeat(depth) + ']'.repeat(depth)
  const objects = '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)
  const json = { 'content-type': 'application/json' }
  const nested = (name: string, path: string, body: string, expect: number, headers: Record<string, string> = json, text = false): NestedCase =>
    ({ name, path, headers, body: Buffer.from(body), expect, text })
  return [
    nested('nested arrays to /classify', '/classify?status=500', arrays, 200),
    nested('nested objects to /classify', '/classify?status=502', objects, 200),
    nested('unclosed arrays to /classify as text', '/classify?status=500&format=text', '['.repeat(depth), 200, { 'content-type': 'text/plain' }, true),
    nested('a batch item\'s body nested', '/classify/batch', `{"items":[{"status":500,"body":${arrays}}]}`, 400),
    nested('a batch item\'s body nested, text asked', '/classify/batch', `{"items":[{"status":500,"body":${objects}}]}`, 400, { ...json, accept: 'text/plain' }, true),
    nested('the batch\'s items nested', '/classify/batch', `{"items":${arrays}}`, 400),
    nested('a batch item\'s body nested, as a string', '/classify/batch', JSON.stringify({ items: [{ status: 500, body: arrays }] }), 200)
  ]
}

export async function nestedJson (port: number, size: NestedSize): Promise<Observed> {
  const seen = observed()
  const cases = nestedCases(size.depth)
  const until = size.durationMs === undefined ? Infinity : performance.now() + size.durationMs
  let sent = 0
  await Promise.all(Array.from({ length: size.concurrency }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      while (sent < size.requests && performance.now() < until) {
        const kind = cases[sent++ % cases.length] as NestedCase
        try {
          const answer = await exchange(port, { method: 'POST', path: kind.path, headers: kind.headers, body: kind.body, agent })
          record(seen, answer, [kind.expect], kind.name, kind.text)
        } catch (error) {
          violation(seen, `${kind.name}: ${failure(seen, error)}`)
        }
      }
    } finally {
      agent.destroy()
    }
  }))
  return seen
}

// 4. Slow bodies and slow headers (slowloris) --------------------------------

export interface SlowSize {
  /** Connections in all: half send their body slowly, half their headers. */
  connections: number
  /** A byte every this often. */
  intervalMs?: number
  /** Stop waiting for errcat after this long; it cuts at 10 s, checking every second. */
  guardMs: number
}

export interface SlowObserved extends Observed {
  cut: number
  notCut: number
  /** When errcat cut each connection, in ms after it opened. */
  cutAfterMs: number[]
}

async function slowOne (port: number, head: string, intervalMs: number, guardMs: number): Promise<{ cut: boolean, ms: number, answer: string, error: string | null }> {
  const start = performance.now()
  return await new Promise((resolve) => {
    const socket = connect({ port, host: HOST })
    let answer = ''
    let error: string | null = null
    let gaveUp = false
    let drip: NodeJS.Timeout | undefined
    const guard = setTimeout(() => { gaveUp = true; socket.destroy() }, guardMs)
    socket.on('connect', () => {
      socket.write(head)
      drip = setInterval(() => { if (socket.writable) socket.write('x') }, intervalMs)
    })
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8') })
    socket.on('error', (err) => { error = errorCode(err) })
    socket.on('close', () => {
      clearInterval(drip)
      clearTimeout(guard)
      resolve({ cut: !gaveUp, ms: performance.now() - start, answer, error })
    })
  })
}

/**
 * Connections that send a byte a second, of their body or of their headers.
 * errcat must cut each with a 408 problem once its request timeout passes.
 */
export async function slowClients (port: number, size: SlowSize): Promise<SlowObserved> {
  const seen: SlowObserved = { ...observed(), cut: 0, notCut: 0, cutAfterMs: [] }
  const slowBody = 'POST /classify?status=500 HTTP/1.1\r\nHost: errcat\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n'
  // The header line never ends, so the request never has all its headers.
  const slowHeaders = 'POST /classify HTTP/1.1\r\nHost: errcat\r\nX-Slow: '
  const runs = await Promise.all(Array.from({ length: size.connections }, async (_, i) => {
    const what = i % 2 === 0 ? 'a slow body' : 'slow headers'
    return { what, ...await slowOne(port, i % 2 === 0 ? slowBody : slowHeaders, size.intervalMs ?? 1000, size.guardMs) }
  }))
  for (const { what, cut, ms, answer, error } of runs) {
    if (error !== null) bump(seen.errors, error)
    if (!cut) {
      seen.notCut++
      violation(seen, `${what}: still open after ${size.guardMs} ms`)
      continue
    }
    seen.cut++
    seen.cutAfterMs.push(ms)
    const parsed = parseRawAnswer(answer)
    if (parsed === null) violation(seen, `${what}: closed without an answer`)
    else record(seen, parsed, [408], what)
  }
  return seen
}

// 5. Bad Retry-After values -------------------------------------------------

/** Retry-After values that are neither delay-seconds nor an HTTP-date. */
export const MALFORMED_RETRY_AFTER: readonly string[] = [
  'Retry 5', 'x 5', '10 GMT', 'Jan 1', '-5', '+5', '5.5', '1e3', '0x10', '5 s', 'soon', 'Wed, 31 Feb 2027 10:00:00 GMT'
]
/** The same as retry-after-ms values, where a decimal number of milliseconds ("5.5") is valid. */
export const MALFORMED_RETRY_AFTER_MS: readonly string[] = MALFORMED_RETRY_AFTER.filter((value) => !/^\d+(\.\d+)?$/.test(value))
/** Delay-seconds too long to count: such a wait is not retried at all. */
export const OVERLONG_RETRY_AFTER: readonly string[] = ['1234567890123', '9'.repeat(20), '9'.repeat(200)]

interface RetryAdvice { retryable: boolean, strategy: string, delay_ms: number | null, reason: string }

function judgeRetry (seen: Observed, retry: RetryAdvice | undefined, value: string, what: string): void {
  if (retry === undefined) return violation(seen, `${what}: no retry advice`)
  if (retry.delay_ms === 0) return violation(seen, `${what}: delay_ms 0 for "${value.slice(0, 30)}"`)
  if (OVERLONG_RETRY_AFTER.includes(value)) {
    if (retry.retryable) violation(seen, `${what}: "${value.slice(0, 30)}" is retryable`)
    return
  }
  if (retry.strategy === 'retry_after') violation(seen, `${what}: "${value}" taken as a delay of ${String(retry.delay_ms)} ms`)
  if (!/ignored/.test(retry.reason)) violation(seen, `${what}: the reason does not say "${value}" was ignored: ${retry.reason}`)
}

export interface RetryAfterSize {
  /** Every value is sent this many times, on each route. */
  rounds: number
}

/**
 * Bad values in x-upstream-retry-after (and retry-after-ms), to /classify and
 * in a batch: none may be read as "retry at once", and the reason must say
 * the value was ignored.
 */
export async function badRetryAfter (port: number, size: RetryAfterSize): Promise<Observed> {
  const seen = observed()
  const values = [...MALFORMED_RETRY_AFTER, ...OVERLONG_RETRY_AFTER]
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const send = async (what: string, sent: Sent): Promise<Answer | null> => {
    try {
      const answer = await exchange(port, { ...sent, method: 'POST', agent })
      record(seen, answer, [200], what)
      return answer.status === 200 ? answer : null
    } catch (error) {
      violation(seen, `${what}: ${failure(seen, error)}`)
      return null
    }
  }
  try {
    for (let round = 0; round < size.rounds; round++) {
      for (const [status, body] of [[429, 'Too Many Requests'], [503, 'Service Unavailable']] as const) {
        for (const value of values) {
          const answer = await send(`${status} with Retry-After "${value.slice(0, 30)}"`, { path: `/classify?status=${status}`, headers: { 'content-type': 'text/plain', 'x-upstream-retry-after': value }, body })
          if (answer !== null) judgeRetry(seen, (JSON.parse(answer.body) as { retry?: RetryAdvice }).retry, value, `/classify ${status}`)
        }
        for (const value of MALFORMED_RETRY_AFTER_MS) {
          const answer = await send(`${status} with retry-after-ms "${value}"`, { path: `/classify?status=${status}`, headers: { 'content-type': 'text/plain', 'x-upstream-retry-after-ms': value }, body })
          if (answer !== null) judgeRetry(seen, (JSON.parse(answer.body) as { retry?: RetryAdvice }).retry, value, `/classify ${status} (ms)`)
        }
        // Batch items take the header names with or without the prefix.
        const items = values.map((value, i) => ({ status, body, headers: { [i % 2 === 0 ? 'retry-after' : 'x-upstream-retry-after']: value } }))
        const answer = await send(`a batch of ${status}s with bad Retry-After`, { path: '/classify/batch', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ items }) })
        if (answer !== null) {
          const results = (JSON.parse(answer.body) as { results: Array<{ retry?: RetryAdvice }> }).results
          values.forEach((value, i) => judgeRetry(seen, results[i]?.retry, value, `batch item ${i}`))
        }
      }
    }
  } finally {
    agent.destroy()
  }
  return seen
}

// 6. SIGTERM under pooled keep-alive load -----------------------------------

export interface Stoppable {
  port: number
  /** Sends SIGTERM to the server. */
  terminate: () => void
  /** Resolves with the server's exit code. */
  exited: Promise<number | null>
}

export interface SigtermSize {
  /** Clients, each with its own keep-alive Agent of one socket, as gateways pool. */
  clients: number
  /** Load before the signal. */
  loadMs: number
  /** Each client waits this long between its requests. */
  thinkMs: number
  /** How long the server may take to exit after the signal, before it is given up on. */
  exitWithinMs: number
}

export interface SigtermObserved extends Observed {
  /** Requests that failed after they were sent: any error but ECONNREFUSED. */
  resets: number
  /** New connections refused once errcat stopped listening: expected. */
  refused: number
  /** Answers after the signal, and how many of them said Connection: close. */
  answeredAfterSignal: number
  closingAnswers: number
  exitCode: number | null
  /** From the signal to the exit; null if it had not exited within exitWithinMs. */
  exitMs: number | null
}

export async function sigtermUnderLoad (server: Stoppable, size: SigtermSize): Promise<SigtermObserved> {
  const seen: SigtermObserved = { ...observed(), resets: 0, refused: 0, answeredAfterSignal: 0, closingAnswers: 0, exitCode: null, exitMs: null }
  let signalledAt: number | null = null
  // Set once the server has exited (or been given up on); the clients then stop.
  const run = { over: false }
  const body = Buffer.from(SCAIGRID_RATE_LIMIT)
  const clients = Array.from({ length: size.clients }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      while (!run.over) {
        try {
          const answer = await exchange(server.port, { method: 'POST', path: '/classify?status=429', headers: { 'content-type': 'application/json' }, body, agent, timeoutMs: size.exitWithinMs })
          record(seen, answer, [200], 'POST /classify during the drain')
          if (signalledAt !== null) {
            seen.answeredAfterSignal++
            if (answer.headers.connection === 'close') seen.closingAnswers++
          }
        } catch (error) {
          const code = failure(seen, error)
          // A connection refused was never sent: errcat has stopped listening, as it should.
          if (code === 'ECONNREFUSED') {
            seen.refused++
            break
          }
          seen.resets++
          const on = (error as { reusedSocket?: boolean }).reusedSocket === true ? 'a pooled connection' : 'a new connection'
          violation(seen, `a request already sent failed: ${code} on ${on}${signalledAt === null ? '' : ` ${Math.round(performance.now() - signalledAt)} ms after the signal`}`)
        }
        await sleep(size.thinkMs)
      }
    } finally {
      agent.destroy()
    }
  })
  await sleep(size.loadMs)
  signalledAt = performance.now()
  server.terminate()
  let timer: NodeJS.Timeout | undefined
  const givenUp = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), size.exitWithinMs) })
  const exit = await Promise.race([server.exited.then((code) => ({ code })), givenUp])
  clearTimeout(timer)
  if (exit !== null) {
    seen.exitCode = exit.code
    seen.exitMs = performance.now() - signalledAt
  }
  run.over = true
  await Promise.all(clients)
  if (exit === null) violation(seen, `the server had not exited ${size.exitWithinMs} ms after SIGTERM`)
  else if (exit.code !== 0) violation(seen, `the server exited with code ${String(exit.code)}`)
  return seen
}

// 7. A FIFO in the catalog directory, then SIGHUP ----------------------------

export interface Reloadable {
  /** The catalog directory the server reloads: a copy, since a FIFO is put in it. */
  dir: string
  /** Asks the server to reload its catalog (SIGHUP). */
  reload: () => unknown
  /** Everything the server has logged so far. */
  logs: () => string
}

export interface FifoObserved extends Observed {
  /** mkfifo is not installed here. */
  skipped: boolean
  refusalLogged: boolean
  lastReload: { result?: string, reason?: string } | null
}

const REFUSED_LINE = '"msg":"catalog reload refused; the last good catalog keeps serving"'

/**
 * A FIFO named like a catalog file, then a reload: errcat must refuse it
 * (reading a FIFO would wait for a writer forever), log why, and keep serving.
 */
export async function catalogFifo (port: number, server: Reloadable, size: { waitMs: number }): Promise<FifoObserved> {
  const seen: FifoObserved = { ...observed(), skipped: false, refusalLogged: false, lastReload: null }
  const fifo = join(server.dir, 'zz-hostile.yaml')
  const made = spawnSync('mkfifo', [fifo])
  if (made.error !== undefined || made.status !== 0) return { ...seen, skipped: true }
  try {
    const before = server.logs().split(REFUSED_LINE).length
    await server.reload()
    const until = performance.now() + size.waitMs
    while (!(seen.refusalLogged = server.logs().split(REFUSED_LINE).length > before) && performance.now() < until) await sleep(50)
    if (!seen.refusalLogged) violation(seen, `no refusal logged within ${size.waitMs} ms`)
    const ready = await exchange(port, { path: '/readyz' })
    record(seen, ready, [200], 'GET /readyz after the refused reload')
    seen.lastReload = ready.status === 200 ? (JSON.parse(ready.body) as { last_reload: FifoObserved['lastReload'] }).last_reload : null
    if (seen.lastReload?.result !== 'failure' || !/not a regular file/.test(seen.lastReload.reason ?? '')) {
      violation(seen, `/readyz reports the last reload as ${JSON.stringify(seen.lastReload)}`)
    }
    record(seen, await exchange(port, { path: '/codes/scope_insufficient' }), [200], 'GET /codes after the refused reload')
  } catch (error) {
    violation(seen, `the catalog FIFO: ${failure(seen, error)}`)
  } finally {
    await rm(fifo, { force: true })
  }
  return seen
}

// 8. Reloads that would stall or shrink the catalog -------------------------

export interface ReloadsObserved extends Observed {
  /** What /readyz said after each reload, in order: a file over the bound, a source removed, the catalog restored. */
  lastReloads: Array<{ result?: string, reason?: string } | null>
}

/**
 * A catalog file past the size bound, then a source's file removed, each
 * followed by a reload: errcat must refuse both (the first without reading the
 * file), say why in /readyz, and keep serving the last good catalog; once the
 * directory is whole again, a reload goes through.
 */
export async function catalogReloads (port: number, server: Reloadable, size: { fileBytes: number, waitMs: number }): Promise<ReloadsObserved> {
  const seen: ReloadsObserved = { ...observed(), lastReloads: [] }
  const large = join(server.dir, 'zz-large.yaml')
  const source = join(server.dir, 'xerotier.yaml')
  const aside = join(server.dir, 'xerotier.yaml.aside')
  const reloadAndRead = async (step: string, expected: { result: string, reason?: RegExp }): Promise<void> => {
    const before = (await readyz()).at
    await server.reload()
    const until = performance.now() + size.waitMs
    let last = await readyz()
    while (last.at === before && performance.now() < until) {
      await sleep(50)
      last = await readyz()
    }
    seen.lastReloads.push(last.lastReload)
    if (last.lastReload?.result !== expected.result || (expected.reason !== undefined && !expected.reason.test(last.lastReload.reason ?? ''))) {
      violation(seen, `${step}: /readyz reports the last reload as ${JSON.stringify(last.lastReload)}`)
    }
    record(seen, await exchange(port, { path: '/codes/scope_insufficient' }), [200], `GET /codes after ${step}`)
  }
  const readyz = async (): Promise<{ at: string | undefined, lastReload: { result?: string, reason?: string, at?: string } | null }> => {
    const answer = await exchange(port, { path: '/readyz' })
    record(seen, answer, [200], 'GET /readyz')
    const lastReload = answer.status === 200 ? (JSON.parse(answer.body) as { last_reload: { result?: string, reason?: string, at?: string } | null }).last_reload : null
    return { at: lastReload?.at, lastReload }
  }
  try {
    await writeFile(large, `# ${'x'.repeat(78)}\n`.repeat(Math.ceil(size.fileBytes / 81)))
    await reloadAndRead('a file over the size bound', { result: 'failure', reason: /is larger than \d+ bytes/ })
    await rm(large, { force: true })
    await rename(source, aside)
    await reloadAndRead('a source file removed', { result: 'failure', reason: /would drop the source xerotier/ })
    await rename(aside, source)
    await reloadAndRead('the catalog restored', { result: 'success' })
  } catch (error) {
    violation(seen, `the catalog reloads: ${failure(seen, error)}`)
  } finally {
    await rm(large, { force: true })
    await rename(aside, source).catch(() => {})
  }
  return seen
}

// 9. Malformed requests on raw sockets --------------------------------------

/** Bytes Node's parser refuses before Fastify has a request, and the status errcat must answer. */
export const MALFORMED_REQUESTS: ReadonlyArray<{ name: string, bytes: string, expect: number }> = [
  { name: 'a request line that is no request line', bytes: 'GARBAGE\r\n\r\n', expect: 400 },
  { name: 'an unknown HTTP version', bytes: 'GET /healthz HTTP/9.9\r\nHost: errcat\r\n\r\n', expect: 400 },
  { name: 'a method with a bad character', bytes: 'GE(T /healthz HTTP/1.1\r\nHost: errcat\r\n\r\n', expect: 400 },
  { name: 'an HTTP/2 preface on HTTP/1.1', bytes: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', expect: 400 },
  { name: 'lines ended by LF alone', bytes: 'GET /healthz HTTP/1.1\nHost: errcat\n\n', expect: 400 },
  { name: 'a space in a header name', bytes: 'GET /healthz HTTP/1.1\r\nHost: errcat\r\nBad Header: y\r\n\r\n', expect: 400 },
  { name: 'a NUL in a header value', bytes: 'GET /healthz HTTP/1.1\r\nHost: errcat\r\nX-A: a\0b\r\n\r\n', expect: 400 },
  { name: 'an obsolete folded header', bytes: 'GET /healthz HTTP/1.1\r\nHost: errcat\r\nX-A: a\r\n b\r\n\r\n', expect: 400 },
  { name: 'both Content-Length and Transfer-Encoding', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', expect: 400 },
  { name: 'two different Content-Lengths', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!', expect: 400 },
  { name: 'a negative Content-Length', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nContent-Length: -1\r\n\r\n', expect: 400 },
  { name: 'a chunk size that is no number', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n', expect: 400 },
  { name: 'a chunk size past 2^64', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nhello\r\n0\r\n\r\n', expect: 400 },
  { name: 'a chunk extension over 16 KiB', bytes: `POST /classify HTTP/1.1\r\nHost: errcat\r\nTransfer-Encoding: chunked\r\n\r\n5;${'a'.repeat(20_000)}\r\nhello\r\n0\r\n\r\n`, expect: 400 },
  { name: 'a Transfer-Encoding that does not end in chunked', bytes: 'POST /classify HTTP/1.1\r\nHost: errcat\r\nTransfer-Encoding: gzip\r\n\r\nabc', expect: 400 },
  { name: 'a header over 16 KiB', bytes: `GET /healthz HTTP/1.1\r\nHost: errcat\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, expect: 431 },
  { name: 'a request line over 16 KiB', bytes: `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: errcat\r\n\r\n`, expect: 431 },
  { name: 'many headers over 16 KiB in all', bytes: `GET /healthz HTTP/1.1\r\nHost: errcat\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: value`).join('\r\n')}\r\n\r\n`, expect: 431 }
]

/** What a raw client gets back for these bytes, up to errcat's close (or its own after timeoutMs). */
export async function rawExchange (port: number, bytes: string, timeoutMs = 10_000): Promise<{ answer: string, closedByErrcat: boolean, error: string | null }> {
  return await new Promise((resolve) => {
    const socket = connect({ port, host: HOST })
    let answer = ''
    let error: string | null = null
    let gaveUp = false
    const guard = setTimeout(() => { gaveUp = true; socket.destroy() }, timeoutMs)
    socket.on('connect', () => socket.write(bytes))
    socket.on('data', (chunk: Buffer) => { answer += chunk.toString('utf8') })
    socket.on('error', (err) => { error = errorCode(err) })
    socket.on('close', () => { clearTimeout(guard); resolve({ answer, closedByErrcat: !gaveUp, error }) })
  })
}

/** Each malformed request `rounds` times: each must get its 400 or 431 problem, with an x-request-id, and the connection closed. */
export async function malformedRequests (port: number, size: { rounds: number }): Promise<Observed> {
  const seen = observed()
  for (let round = 0; round < size.rounds; round++) {
    for (const { name, bytes, expect } of MALFORMED_REQUESTS) {
      const { answer, closedByErrcat, error } = await rawExchange(port, bytes)
      if (error !== null) bump(seen.errors, error)
      const parsed = parseRawAnswer(answer)
      if (parsed === null) violation(seen, `${name}: no answer${error === null ? '' : ` (${error})`}`)
      else record(seen, parsed, [expect], name)
      if (!closedByErrcat) violation(seen, `${name}: the connection was left open`)
    }
  }
  return seen
}

// 10. An over-limit body, sent with fetch ------------------------------------

/**
 * Bodies over the 1 MiB limit, sent whole with Node's fetch: the client must
 * get the 413 problem, not a broken pipe (errcat reads the rest and discards it).
 */
export async function overLimitBody (port: number, size: { bytes: number, requests: number }): Promise<Observed> {
  const seen = observed()
  const body = Buffer.alloc(size.bytes, 'x')
  const routes = [
    { what: 'POST /classify', path: '/classify?status=500', type: 'text/plain', accept: undefined },
    { what: 'POST /classify, text asked', path: '/classify?status=500', type: 'text/plain', accept: 'text/plain' },
    { what: 'POST /classify/batch', path: '/classify/batch', type: 'application/json', accept: undefined }
  ]
  for (let i = 0; i < size.requests; i++) {
    const route = routes[i % routes.length] as typeof routes[number]
    try {
      const response = await fetch(`http://${HOST}:${port}${route.path}`, {
        method: 'POST',
        headers: { 'content-type': route.type, ...(route.accept === undefined ? {} : { accept: route.accept }) },
        body,
        signal: AbortSignal.timeout(30_000)
      })
      record(seen, { status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() }, [413], `${size.bytes} bytes to ${route.what}`, route.accept !== undefined)
    } catch (error) {
      violation(seen, `${size.bytes} bytes to ${route.what}: ${failure(seen, error)}`)
    }
  }
  return seen
}

// 11. __proto__ keys, and a batch that is not JSON ---------------------------

/** `__proto__` and `constructor` keys in a batch are the upstream's data (200); a batch sent as anything but JSON is a 415. */
export async function prototypeKeys (port: number, size: { rounds: number }): Promise<Observed> {
  const seen = observed()
  const json = { 'content-type': 'application/json' }
  const cases: Array<{ what: string, path: string, headers: Record<string, string>, body: string, expect: number, text?: boolean }> = [
    { what: 'a batch item\'s body with a __proto__ key', path: '/classify/batch', headers: json, body: '{"items":[{"status":404,"body":{"error":"Agent not found","__proto__":{"polluted":"yes"}}}]}', expect: 200 },
    { what: 'a batch item with a __proto__ key', path: '/classify/batch', headers: json, body: '{"items":[{"__proto__":{"status":500},"body":"x"}]}', expect: 200 },
    { what: 'a batch with __proto__ beside its items', path: '/classify/batch', headers: json, body: '{"__proto__":{"polluted":"yes"},"items":[]}', expect: 200 },
    { what: 'a batch item\'s string body with __proto__ and constructor keys', path: '/classify/batch', headers: json, body: JSON.stringify({ items: [{ status: 404, body: '{"__proto__":{"error":"Agent not found"},"constructor":{"prototype":{"polluted":"yes"}}}' }] }), expect: 200 },
    { what: 'a /classify body with a __proto__ key', path: '/classify?status=404', headers: json, body: '{"__proto__":{"code":"internal_error"},"error":"Agent not found"}', expect: 200 },
    { what: 'a batch sent as text/plain', path: '/classify/batch', headers: { 'content-type': 'text/plain' }, body: '{"items":[]}', expect: 415 },
    { what: 'a batch sent as a form', path: '/classify/batch', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'items=1', expect: 415 },
    { what: 'a batch sent as text/plain, text asked', path: '/classify/batch?format=text', headers: { 'content-type': 'text/plain' }, body: '{"items":[]}', expect: 415, text: true }
  ]
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  try {
    for (let round = 0; round < size.rounds; round++) {
      for (const { what, path, headers, body, expect, text } of cases) {
        try {
          const answer = await exchange(port, { method: 'POST', path, headers, body, agent })
          record(seen, answer, [expect], what, text)
          if (answer.status === 200 && /polluted/.test(answer.body)) violation(seen, `${what}: a __proto__ member shows in the answer`)
        } catch (error) {
          violation(seen, `${what}: ${failure(seen, error)}`)
        }
      }
    }
    // An object made now must not have picked up anything the batches carried.
    if (({} as Record<string, unknown>).polluted !== undefined) violation(seen, 'Object.prototype was polluted here')
  } finally {
    agent.destroy()
  }
  return seen
}

// 12. Scrapers in a tight loop ----------------------------------------------

/** `scrapers` clients each scraping GET /metrics back to back for `durationMs`. */
export async function metricsScrapers (port: number, size: { scrapers: number, durationMs: number }): Promise<Observed> {
  const seen = observed()
  const until = performance.now() + size.durationMs
  await Promise.all(Array.from({ length: size.scrapers }, async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      while (performance.now() < until) {
        try {
          record(seen, await exchange(port, { path: '/metrics', agent }), [200], 'GET /metrics')
        } catch (error) {
          violation(seen, `GET /metrics: ${failure(seen, error)}`)
        }
      }
    } finally {
      agent.destroy()
    }
  }))
  return seen
}

// A normal client, and three attackers at once -------------------------------

export interface Latencies extends Observed {
  /** Each request's time to its whole answer, in ms, failed ones included. */
  ms: number[]
}

/**
 * What a gateway does meanwhile: POST /classify back to back on one pooled
 * connection, and GET /healthz on another, as an orchestrator probes it.
 */
export async function normalClient (port: number, size: { durationMs: number, timeoutMs?: number }): Promise<{ classify: Latencies, healthz: Latencies }> {
  const until = performance.now() + size.durationMs
  const loop = async (sent: Sent): Promise<Latencies> => {
    const seen: Latencies = { ...observed(), ms: [] }
    const agent = new Agent({ keepAlive: true, maxSockets: 1 })
    try {
      while (performance.now() < until) {
        const start = performance.now()
        try {
          const answer = await exchange(port, { ...sent, agent, timeoutMs: size.timeoutMs ?? 5000 })
          record(seen, answer, [200], `${sent.method ?? 'GET'} ${sent.path}`)
        } catch (error) {
          violation(seen, `${sent.method ?? 'GET'} ${sent.path}: ${failure(seen, error)}`)
        }
        seen.ms.push(performance.now() - start)
      }
    } finally {
      agent.destroy()
    }
    return seen
  }
  const [classify, healthz] = await Promise.all([
    loop({ method: 'POST', path: '/classify?status=429', headers: { 'content-type': 'application/json' }, body: SCAIGRID_RATE_LIMIT }),
    loop({ path: '/healthz' })
  ])
  return { classify, healthz }
}

export interface ThreeSizes { flood: FloodSize, nested: NestedSize, slow: SlowSize }
export interface ThreeObserved { flood: FloodObserved, nested: Observed, slow: SlowObserved }

/** The three heaviest attackers at once: the pipelining flood, nested JSON and slow clients. */
export async function threeAtOnce (port: number, sizes: ThreeSizes): Promise<ThreeObserved> {
  const [flood, nested, slow] = await Promise.all([pipeliningFlood(port, sizes.flood), nestedJson(port, sizes.nested), slowClients(port, sizes.slow)])
  return { flood, nested, slow }
}

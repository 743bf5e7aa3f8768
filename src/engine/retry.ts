// The retry policy of one classification: the entry's (or the normalized
// code's) policy, adjusted by what the upstream said about this very call.
// docs/retry.md explains the defaults and the precedence of the hints.
import type { NormalizedCode, RetryPolicy } from '../catalog/schema.js'
import type { RateLimitReset } from '../catalog/types.js'
import { DELAY_CEILING_MS } from './limits.js'
import { pageText } from './parse.js'
import type { RetryAdvice } from './schemas.js'

export type { RetryAdvice } from './schemas.js'

/** What the upstream said about when to come back, besides its headers. */
export interface BodyHints {
  /** `retry_after` seconds from the body, and the field that held it. */
  retryAfter: { seconds: number, field: string } | null
  /** A gRPC RetryInfo `retryDelay`, such as "30s". */
  retryDelay: string | null
  /** The upstream's message, which may name a delay ("Please try again in 1.146s"). */
  message: string | null
  /** An HTML page, whose visible text may name a delay its title does not. */
  page: string | null
  /** The body's own backoff advice. */
  retryStrategy: { initialDelayMs: number | null, maxDelayMs: number | null } | null
  /** The body's `retryable` flag. */
  retryable: boolean | null
}

export interface RetryContext {
  normalized: NormalizedCode
  policy: RetryPolicy
  /** The policy to use when the upstream asks for retries the policy does not allow. */
  backoffPolicy: RetryPolicy
  /** Upstream headers, lowercase names. */
  headers: Readonly<Record<string, string>>
  /** Headers that say when a rate limit resets, as the catalog's sources describe them. */
  resets: readonly RateLimitReset[]
  /** The source's own headers that say whether to repeat the call, after x-should-retry. */
  shouldRetryHeaders: readonly string[]
  body: BodyHints
  status: number | null
  maxRetryAfterS: number
  now: number
}

/** A delay the upstream asked for, and the evidence of it. `ms` is Infinity for a delay too large to write down. */
export interface RequestedDelay {
  ms: number
  /** What said it, with the value: `Retry-After header 30`. */
  evidence: string
  /** What said it, in a sentence: `the Retry-After header`. */
  from: string
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)'
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)'
const MONTH = `(${MONTHS.join('|')})`
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})'
// RFC 9110, section 5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms.
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`)
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`)
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`)

function utc (year: number, month: string, day: number, h: string, m: string, s: string): number | null {
  const ms = Date.UTC(year, MONTHS.indexOf(month), day, Number(h), Number(m), Number(s))
  const date = new Date(ms)
  // A day that does not exist in its month (31 Feb) is no date.
  return date.getUTCDate() === day ? ms : null
}

/** An HTTP-date in one of RFC 9110's three formats, in ms since the epoch, or null. */
export function parseHttpDate (text: string, now: number): number | null {
  let match = IMF_FIXDATE.exec(text)
  if (match !== null) return utc(Number(match[3]), match[2] as string, Number(match[1]), match[4] as string, match[5] as string, match[6] as string)
  match = RFC850_DATE.exec(text)
  if (match !== null) {
    // A two-digit year more than 50 years in the future is in the past century (RFC 9110).
    const thisYear = new Date(now).getUTCFullYear()
    let year = Math.floor(thisYear / 100) * 100 + Number(match[3])
    if (year > thisYear + 50) year -= 100
    return utc(year, match[2] as string, Number(match[1]), match[4] as string, match[5] as string, match[6] as string)
  }
  match = ASCTIME_DATE.exec(text)
  if (match !== null) return utc(Number(match[6]), match[1] as string, Number((match[2] as string).trim()), match[3] as string, match[4] as string, match[5] as string)
  return null
}

/** Digits as a number of seconds, or Infinity when there are too many to matter. */
function seconds (digits: string): number {
  return digits.length > 12 ? Infinity : Number(digits)
}

const DURATION_UNITS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }

/** A Go-style duration such as "1s", "6m0s", "20ms" or "1h2m3.5s", in ms, or null. */
export function parseDuration (text: string): number | null {
  if (!/^(\d{1,9}(\.\d{1,9})?(h|ms|m|s))+$/.test(text)) return null
  let ms = 0
  for (const [, amount, , unit] of text.matchAll(/(\d{1,9}(\.\d{1,9})?)(h|ms|m|s)/g)) ms += Number(amount) * (DURATION_UNITS[unit as string] as number)
  return ms
}

/** An RFC 3339 timestamp, in ms since the epoch, or null. */
function parseTimestamp (text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/.test(text)) return null
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? null : ms
}

/**
 * A delay stated in a message: "try again in 1.146s", "retry in 26.5s", "retry after 20 seconds",
 * "try again in 6m0s", "will reset after 55s", "Retry after: 21 seconds.", Django REST framework's
 * "Expected available in 7 seconds.", a quoted number, "try again after '10' seconds", and hours or days,
 * "Please retry after 15 days".
 */
const MESSAGE_DELAY = /\b(?:try again|retry|will reset|expected available)(?: after:?| in)(?: about)? '?(\d{1,9}(?:\.\d{1,9})?)'? ?(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|days?)\b/i
const MESSAGE_DURATION = /\b(?:try again|retry) in ((?:\d{1,9}h)?(?:\d{1,9}m)?\d{1,9}(?:\.\d{1,9})?(?:ms|s))\b/i
const MESSAGE_UNITS: Record<string, number> = { ms: 1, millisecond: 1, milliseconds: 1, s: 1000, sec: 1000, secs: 1000, second: 1000, seconds: 1000, m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000, hour: 3_600_000, hours: 3_600_000, day: 86_400_000, days: 86_400_000 }

function messageDelay (message: string, where: 'message' | 'page text'): RequestedDelay | null {
  const head = message.slice(0, 1024)
  const duration = MESSAGE_DURATION.exec(head)
  if (duration !== null) {
    const ms = parseDuration(duration[1] as string)
    if (ms !== null) return { ms, evidence: `${where} "${duration[0]}"`, from: `the ${where}` }
  }
  const match = MESSAGE_DELAY.exec(head)
  if (match === null) return null
  return { ms: Number(match[1]) * (MESSAGE_UNITS[(match[2] as string).toLowerCase()] ?? 1000), evidence: `${where} "${match[0]}"`, from: `the ${where}` }
}

/** `key=value` pairs split by `separator`, keys lowercased. */
function parameters (text: string, separator: string): Map<string, string> {
  const found = new Map<string, string>()
  for (const part of text.split(separator)) {
    const equals = part.indexOf('=')
    if (equals > 0) found.set(part.slice(0, equals).trim().toLowerCase(), part.slice(equals + 1).trim())
  }
  return found
}

/**
 * When a used-up limit of the IETF RateLimit header resets, in seconds. The
 * header may come on any answer and name several limits (`"minute";r=0;t=9,
 * "day";r=50;t=3600`, or an earlier draft's `limit=100, remaining=0,
 * reset=30`): only a limit with nothing remaining says when this call may
 * succeed, the latest of them if several are. A reset with no count beside
 * it counts only when the answer says a limit was hit.
 */
function rateLimitReset (value: string, limitHit: boolean): number | null {
  const limits = /(?:^|[,\s])(?:reset|remaining|limit)=/i.test(value)
    ? [parameters(value, ',')]
    : value.split(',').map((item) => parameters(item, ';'))
  return latestUsedUpReset(limits.map((limit) => ({ reset: limit.get('t') ?? limit.get('reset'), remaining: limit.get('r') ?? limit.get('remaining') })), limitHit)
}

/** Of limits given as their reset seconds and remaining count, when the latest used-up one resets. */
function latestUsedUpReset (limits: ReadonlyArray<{ reset: string | undefined, remaining: string | undefined }>, limitHit: boolean): number | null {
  let latest: number | null = null
  for (const { reset, remaining } of limits) {
    if (reset === undefined || !/^\d+$/.test(reset)) continue
    if (remaining === undefined ? !limitHit : remaining !== '0') continue
    const resetSeconds = seconds(reset)
    if (latest === null || resetSeconds > latest) latest = resetSeconds
  }
  return latest
}

/** When the rate limits a 429 names reset, by the headers its source describes: the latest of those used up. */
function resetDelay (context: RetryContext): RequestedDelay | null {
  const found: RequestedDelay[] = []
  for (const reset of context.resets) {
    const value = context.headers[reset.header]?.trim()
    if (value === undefined || value === '') continue
    let ms: number | null = null
    if (reset.format === 'seconds' && /^\d+$/.test(value)) ms = seconds(value) * 1000
    else if (reset.format === 'unix_seconds' && /^\d{1,12}$/.test(value)) ms = Number(value) * 1000 - context.now
    else if (reset.format === 'duration') ms = parseDuration(value)
    else if (reset.format === 'timestamp') {
      const at = parseTimestamp(value)
      ms = at === null ? null : at - context.now
    }
    // A reset already past says nothing about this 429.
    if (ms === null || ms < 0) continue
    // A limit with requests left is not the one this 429 hit.
    if (reset.remaining !== undefined && context.headers[reset.remaining]?.trim() !== '0') continue
    found.push({ ms, evidence: `${reset.header} header ${value}`, from: `the ${reset.header} header` })
  }
  return found.reduce<RequestedDelay | null>((latest, delay) => (latest === null || delay.ms > latest.ms ? { ms: delay.ms, evidence: delay.evidence, from: delay.from } : latest), null)
}

/**
 * The delay the upstream asked for, by the first hint present in this order:
 * retry-after-ms, x-ms-retry-after-ms, Retry-After (delay-seconds or an
 * HTTP-date), the reset of a used-up limit in RateLimit (t=) or
 * RateLimit-Reset, a RetryInfo retryDelay in the body, the body's
 * retry_after, a delay the message (else an HTML page's text) states, and,
 * on a 429, when the rate limits reset. A hint that does not parse is
 * skipped and named in `ignored`.
 */
export function requestedDelay (context: RetryContext): { delay: RequestedDelay | null, ignored: string[] } {
  const { headers, body, now } = context
  const ignored: string[] = []
  const header = (name: string): string | undefined => {
    const value = headers[name]?.trim()
    return value === undefined || value === '' ? undefined : value
  }
  for (const name of ['retry-after-ms', 'x-ms-retry-after-ms']) {
    const value = header(name)
    if (value === undefined) continue
    if (/^\d+(\.\d+)?$/.test(value)) return { delay: { ms: (value.split('.')[0] as string).length > 15 ? Infinity : Number(value), evidence: `${name} header ${value}`, from: `the ${name} header` }, ignored }
    ignored.push(`${name} header "${value.slice(0, 40)}"`)
  }
  const retryAfter = header('retry-after')
  if (retryAfter !== undefined) {
    if (/^\d+$/.test(retryAfter)) return { delay: { ms: seconds(retryAfter) * 1000, evidence: `Retry-After header ${retryAfter}`, from: 'the Retry-After header' }, ignored }
    const date = parseHttpDate(retryAfter, now)
    if (date !== null) return { delay: { ms: date - now, evidence: `Retry-After header ${retryAfter}`, from: 'the Retry-After date' }, ignored }
    ignored.push(`Retry-After header "${retryAfter.slice(0, 40)}"`)
  }
  const limitHit = context.status === 429 || context.normalized === 'rate_limited'
  const rateLimit = header('ratelimit')
  const limitSeconds = rateLimit === undefined ? null : rateLimitReset(rateLimit, limitHit)
  if (limitSeconds !== null) return { delay: { ms: limitSeconds * 1000, evidence: `RateLimit header ${rateLimit}`, from: 'the RateLimit header' }, ignored }
  const limitReset = header('ratelimit-reset')
  const resetSeconds = latestUsedUpReset([{ reset: limitReset, remaining: header('ratelimit-remaining') }], limitHit)
  if (resetSeconds !== null) return { delay: { ms: resetSeconds * 1000, evidence: `RateLimit-Reset header ${limitReset}`, from: 'the RateLimit-Reset header' }, ignored }
  if (body.retryDelay !== null) {
    const match = /^(\d{1,12}(?:\.\d{1,9})?)s$/.exec(body.retryDelay)
    if (match !== null) return { delay: { ms: Number(match[1]) * 1000, evidence: `body RetryInfo retryDelay ${body.retryDelay}`, from: 'the body\'s RetryInfo' }, ignored }
    ignored.push(`body RetryInfo retryDelay "${body.retryDelay.slice(0, 40)}"`)
  }
  if (body.retryAfter !== null && body.retryAfter.seconds >= 0) {
    return { delay: { ms: body.retryAfter.seconds * 1000, evidence: `body ${body.retryAfter.field} ${body.retryAfter.seconds}`, from: `the body's ${body.retryAfter.field}` }, ignored }
  }
  const stated = (body.message === null ? null : messageDelay(body.message, 'message')) ??
    (body.page === null ? null : messageDelay(pageText(body.page), 'page text'))
  if (stated !== null) return { delay: stated, ignored }
  if (limitHit) {
    const reset = resetDelay(context)
    if (reset !== null) return { delay: reset, ignored }
  }
  return { delay: null, ignored }
}

function clampDelay (ms: number): number {
  return Math.min(DELAY_CEILING_MS, Math.max(0, Math.round(ms)))
}

function shouldRetryHeader (value: string | undefined): boolean | null {
  const normalized = value?.trim().toLowerCase()
  if (normalized === 'true') return true
  if (normalized === 'false') return false
  return null
}

/** Advice not to retry: like a policy that never retries, it has no delays to speak of. */
function noRetry (delayMs: number | null, reason: string): RetryAdvice {
  return { retryable: false, strategy: 'none', delay_ms: delayMs, max_attempts: 1, base_delay_ms: 0, max_delay_ms: 0, reason }
}

/** A delay for people, in seconds up to ten minutes: "0.25 s", "1.146 s", "30 s", "12.5 min", "24 h". */
export function describeDelay (ms: number): string {
  if (ms < 600_000) return `${Math.round(ms) / 1000} s`
  if (ms < 7_200_000) return `${Math.round(ms / 6000) / 10} min`
  return `${Math.round(ms / 360_000) / 10} h`
}

/** Codes whose state does not pass by waiting. */
const NEVER_RETRIED: ReadonlySet<NormalizedCode> = new Set(['quota_exceeded', 'billing', 'cancelled'])

export function adviseRetry (context: RetryContext): RetryAdvice & { evidence: string | null } {
  const { policy, headers } = context
  const { delay, ignored } = requestedDelay(context)
  const note = ignored.length === 0 ? '' : ` The ${ignored.join(' and the ')} ${ignored.length === 1 ? 'is' : 'are'} no delay errcat reads, so ${ignored.length === 1 ? 'it was' : 'they were'} ignored.`
  const delayMs = delay === null || delay.ms === Infinity ? null : clampDelay(delay.ms)
  const evidence = delay?.evidence ?? null

  if (NEVER_RETRIED.has(context.normalized)) {
    const why = context.normalized === 'cancelled'
      ? 'The client ended the call; repeating it is its decision.'
      : 'A quota or billing state does not pass by waiting; someone has to act.'
    return { ...noRetry(delayMs, why + note), evidence }
  }

  let base = policy
  let reason = `${context.normalized} is ${policy.retryable ? '' : 'not '}retryable by the catalog's policy.`
  const saidBy = ['x-should-retry', ...context.shouldRetryHeaders].find((name) => shouldRetryHeader(headers[name]) !== null)
  const headerSays = saidBy === undefined ? null : shouldRetryHeader(headers[saidBy])
  const shouldRetry = headerSays ?? context.body.retryable
  const shouldRetryFrom = saidBy ?? 'the body\'s retryable flag'
  if (shouldRetry === false) return { ...noRetry(delayMs, `The upstream said not to retry (${shouldRetryFrom}: false).` + note), evidence }
  if (shouldRetry === true && !policy.retryable) {
    base = context.backoffPolicy
    reason = `The upstream asked for a retry (${shouldRetryFrom}: true).`
  }
  if (!base.retryable) return { ...noRetry(delayMs, reason + note), evidence }

  let baseDelay = base.base_delay_ms
  let maxDelay = base.max_delay_ms
  const strategy = context.body.retryStrategy
  if (strategy !== null) {
    // The upstream's own backoff advice for this call replaces the defaults.
    baseDelay = strategy.initialDelayMs !== null ? clampDelay(strategy.initialDelayMs) : baseDelay
    maxDelay = strategy.maxDelayMs !== null ? clampDelay(strategy.maxDelayMs) : maxDelay
    maxDelay = Math.max(maxDelay, baseDelay)
  }
  if (delay !== null) {
    if (delay.ms > context.maxRetryAfterS * 1000) {
      const wait = delay.ms === Infinity ? 'longer than errcat can count' : describeDelay(delayMs as number)
      return {
        ...noRetry(delayMs, `The upstream asked to wait ${wait} (${delay.evidence}), longer than the ${context.maxRetryAfterS} s errcat treats as retryable: surface the error instead.` + note),
        evidence
      }
    }
    return {
      retryable: true,
      strategy: 'retry_after',
      delay_ms: delayMs,
      max_attempts: base.max_attempts,
      base_delay_ms: baseDelay,
      max_delay_ms: maxDelay,
      // The delay itself is in delay_ms: the reason says only where it came from.
      reason: `${reason} The wait is what ${delay.from} asks for.` + note,
      evidence
    }
  }
  return {
    retryable: true,
    strategy: 'exponential_backoff',
    delay_ms: null,
    max_attempts: base.max_attempts,
    base_delay_ms: baseDelay,
    max_delay_ms: maxDelay,
    reason: reason + note,
    evidence
  }
}

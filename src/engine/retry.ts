// The retry policy of one classification: the entry's (or the normalized
// code's) policy, adjusted by what the upstream said about this very call.
import type { NormalizedCode, RetryPolicy } from '../catalog/schema.js'
import type { UpstreamHeaders } from './headers.js'
import { DELAY_CEILING_MS } from './limits.js'
import type { RetryAdvice } from './schemas.js'

export type { RetryAdvice } from './schemas.js'

export interface RetryContext {
  normalized: NormalizedCode
  policy: RetryPolicy
  /** The policy to use when x-should-retry turns on retries the policy does not allow. */
  backoffPolicy: RetryPolicy
  headers: UpstreamHeaders
  bodyRetryAfterS: number | null
  bodyRetryable: boolean | null
  retryStrategy: { initialDelayMs: number | null, maxDelayMs: number | null } | null
  maxRetryAfterS: number
  now: number
}

/** The server's requested delay and where it came from; first found wins. */
export function requestedDelay (headers: UpstreamHeaders, bodyRetryAfterS: number | null, now: number): { ms: number, from: string } | null {
  const ms = headers['retry-after-ms']?.trim()
  if (ms !== undefined && /^\d{1,12}(\.\d+)?$/.test(ms)) return { ms: clampDelay(Number(ms)), from: 'the retry-after-ms header' }
  const after = headers['retry-after']?.trim()
  if (after !== undefined && after !== '') {
    if (/^\d{1,12}(\.\d+)?$/.test(after)) return { ms: clampDelay(Number(after) * 1000), from: 'the Retry-After header' }
    const date = Date.parse(after)
    if (!Number.isNaN(date) && /[a-z]/i.test(after)) return { ms: clampDelay(date - now), from: 'the Retry-After date' }
  }
  if (bodyRetryAfterS !== null && bodyRetryAfterS >= 0) return { ms: clampDelay(bodyRetryAfterS * 1000), from: 'the body\'s retry_after' }
  return null
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

function noRetry (base: RetryPolicy, delayMs: number | null, reason: string): RetryAdvice {
  return { retryable: false, strategy: 'none', delay_ms: delayMs, max_attempts: 1, base_delay_ms: base.base_delay_ms, max_delay_ms: base.max_delay_ms, reason }
}

export function adviseRetry (context: RetryContext): RetryAdvice {
  const { policy, headers } = context
  const delay = requestedDelay(headers, context.bodyRetryAfterS, context.now)
  const delayMs = delay?.ms ?? null

  if (context.normalized === 'quota_exceeded') {
    return noRetry(policy, delayMs, 'A quota or billing state does not pass by waiting; someone has to act.')
  }

  let base = policy
  let reason = policy.retryable ? `The catalog policy for ${context.normalized} retries.` : `The catalog policy for ${context.normalized} does not retry.`
  const shouldRetry = shouldRetryHeader(headers['x-should-retry']) ?? context.bodyRetryable
  const shouldRetryFrom = shouldRetryHeader(headers['x-should-retry']) !== null ? 'x-should-retry' : 'the body\'s retryable flag'
  if (shouldRetry === false) return noRetry(policy, delayMs, `The upstream said not to retry (${shouldRetryFrom}: false).`)
  if (shouldRetry === true && !policy.retryable) {
    base = context.backoffPolicy
    reason = `The upstream asked for a retry (${shouldRetryFrom}: true).`
  }
  if (!base.retryable) return noRetry(base, delayMs, reason)

  let baseDelay = base.base_delay_ms
  let maxDelay = base.max_delay_ms
  if (context.retryStrategy !== null) {
    // The upstream's own backoff advice for this call replaces the defaults.
    baseDelay = context.retryStrategy.initialDelayMs !== null ? clampDelay(context.retryStrategy.initialDelayMs) : baseDelay
    maxDelay = context.retryStrategy.maxDelayMs !== null ? clampDelay(context.retryStrategy.maxDelayMs) : maxDelay
    maxDelay = Math.max(maxDelay, baseDelay)
  }
  const advice: RetryAdvice = {
    retryable: true,
    strategy: 'exponential_backoff',
    delay_ms: null,
    max_attempts: base.max_attempts,
    base_delay_ms: baseDelay,
    max_delay_ms: maxDelay,
    reason: reason + ' Back off exponentially with jitter.'
  }
  if (delay !== null) {
    if (delay.ms > context.maxRetryAfterS * 1000) {
      return noRetry(base, delay.ms, `The upstream asked to wait ${delay.ms / 1000} s (${delay.from}), longer than the ${context.maxRetryAfterS} s errcat treats as retryable.`)
    }
    advice.strategy = 'retry_after'
    advice.delay_ms = delay.ms
    advice.reason = `${reason} Wait ${delay.ms} ms as ${delay.from} asks.`
  }
  return advice
}

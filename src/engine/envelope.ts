// Pulls the facts errcat needs out of a parsed body by reading a fixed set of
// paths, never by walking the value: a body nested 100,000 deep costs the same
// as a flat one. Which platform sent the body is the catalog's fingerprints'
// business (fingerprint.ts), not this module's.
import type { ParsedBody } from './parse.js'
import { FIELD_LIMIT } from './limits.js'

export interface Signals {
  /** Candidate platform codes, most authoritative first. */
  codes: string[]
  message: string | null
  type: string | null
  requestId: string | null
  /** A status the body states (RFC 9457 `status`, SCIM's string status, an HTML title). */
  bodyStatus: number | null
  /** `retry_after` seconds from the body. */
  retryAfterS: number | null
  /** The body's own backoff advice, `error.retry_strategy`. */
  retryStrategy: { initialDelayMs: number | null, maxDelayMs: number | null } | null
  /** The body's `error.retryable` flag, when it is a boolean. */
  retryable: boolean | null
  /** The gRPC status name of a JSON gRPC status: {"error": {"code": 404, "status": "NOT_FOUND"}}. */
  grpcStatus: string | null
}

/** Codes are identifiers: anything longer or with spaces is not a code. */
const codeLike = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/
const lowerSnake = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Words joined by underscores, in any case: a code, not a sentence. */
const snakeCode = /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/

type Obj = Record<string, unknown>

/** A JSON object (not an array), whose own fields are then read by name. */
function record (value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Obj : null
}

/** An own field: inherited ones (a class instance's methods, Object.prototype's) are never read. */
function own (object: Obj | null, key: string): unknown {
  return object !== null && Object.hasOwn(object, key) ? object[key] : undefined
}

function str (value: unknown): string | null {
  if (typeof value !== 'string') return null
  const trimmed = value.trim()
  if (trimmed === '') return null
  return trimmed.length > FIELD_LIMIT ? trimmed.slice(0, FIELD_LIMIT) : trimmed
}

function code (value: unknown): string | null {
  const text = str(value)
  return text !== null && codeLike.test(text) ? text : null
}

function finiteNumber (value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d{1,9}(\.\d{1,6})?$/.test(value.trim())) return Number(value)
  return null
}

function addCode (signals: Signals, value: unknown): void {
  const found = code(value)
  if (found !== null && !signals.codes.includes(found)) signals.codes.push(found)
}

function httpStatus (value: unknown): number | null {
  const n = finiteNumber(value)
  return n !== null && Number.isInteger(n) && n >= 400 && n <= 599 ? n : null
}

export function extractSignals (parsed: ParsedBody): Signals {
  const signals: Signals = {
    codes: [],
    message: parsed.text,
    type: null,
    requestId: null,
    bodyStatus: parsed.statusHint,
    retryAfterS: null,
    retryStrategy: null,
    retryable: null,
    grpcStatus: null
  }
  // A JSON array or scalar is no known envelope; a string body is just a message.
  if (typeof parsed.json === 'string') signals.message = str(parsed.json)
  const top = record(parsed.json)
  if (top === null) return signals
  const rawError = own(top, 'error')
  const error = record(rawError)
  const errorString = str(rawError)
  const meta = record(own(top, 'meta'))
  const errorCode = own(error, 'code')

  addCode(signals, errorCode)
  addCode(signals, own(top, 'code'))
  // Some gateways put their code in `error` and the text in `message`.
  const topMessage = str(own(top, 'message'))
  if (errorString !== null && topMessage !== null && lowerSnake.test(errorString)) addCode(signals, errorString)
  // A bare {"error": "QUOTA_EXCEEDED"} names a code, not a message.
  if (errorString !== null && topMessage === null && snakeCode.test(errorString)) addCode(signals, errorString)
  if (typeof errorCode === 'number') {
    const status = code(own(error, 'status'))
    if (status !== null && /^[A-Z][A-Z_]{1,40}$/.test(status)) signals.grpcStatus = status
  }

  signals.message =
    str(own(error, 'message')) ??
    (signals.codes.includes(errorString ?? '') ? null : errorString) ??
    topMessage ??
    str(own(top, 'detail')) ??
    str(own(top, 'title')) ??
    signals.message

  signals.type = str(own(error, 'type')) ?? (errorString === null ? str(own(top, 'type')) : null)
  // An RFC 9457 type is a URI, not a platform's error type.
  if (signals.type !== null && signals.type.includes('/')) signals.type = null

  signals.requestId = str(own(top, 'request_id')) ?? str(own(meta, 'request_id')) ?? str(own(error, 'request_id'))
  signals.bodyStatus = httpStatus(own(top, 'status')) ?? httpStatus(errorCode) ?? signals.bodyStatus
  signals.retryAfterS = finiteNumber(own(error, 'retry_after')) ?? finiteNumber(own(top, 'retry_after'))

  const strategy = record(own(error, 'retry_strategy'))
  if (strategy !== null) {
    signals.retryStrategy = {
      initialDelayMs: finiteNumber(own(strategy, 'initial_delay_ms')),
      maxDelayMs: finiteNumber(own(strategy, 'max_delay_ms'))
    }
  }
  const retryable = own(error, 'retryable')
  if (typeof retryable === 'boolean') signals.retryable = retryable
  return signals
}

// Pulls the facts errcat needs out of a parsed body by reading a fixed set of
// paths, never by walking the value: a body nested 100,000 deep costs the same
// as a flat one. Also recognises each platform's envelope fingerprint.
import type { ParsedBody } from './parse.js'

export interface Signals {
  /** Candidate platform codes, most authoritative first. */
  codes: string[]
  message: string | null
  type: string | null
  requestId: string | null
  /** A status the body states (RFC 9457 `status`, SCIM's string status, an HTML title). */
  bodyStatus: number | null
  /** `retry_after` seconds from the body (ScaiGrid, Xerotier). */
  retryAfterS: number | null
  /** Xerotier's `error.retry_strategy`. */
  retryStrategy: { initialDelayMs: number | null, maxDelayMs: number | null } | null
  /** Nullspace's CLI envelope `retryable`, when it is a boolean. */
  retryable: boolean | null
  /** The gRPC status name of a Google-style body: {"error": {"code": 404, "status": "NOT_FOUND"}}. */
  grpcStatus: string | null
  /** The platform the envelope's shape points to, if any. */
  fingerprint: string | null
}

/** Longest string errcat reads from a body field; longer ones are cut. */
const FIELD_LIMIT = 4096
/** Codes are identifiers: anything longer or with spaces is not a code. */
const codeLike = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/
const upperSnake = /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/
const lowerSnake = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error'

type Obj = Record<string, unknown>

function isObject (value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Own properties only: a body's `__proto__` or `constructor` key is just data. */
function field (obj: Obj | null, key: string): unknown {
  return obj !== null && Object.prototype.hasOwnProperty.call(obj, key) ? obj[key] : undefined
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
    grpcStatus: null,
    fingerprint: parsed.sseErrorEvent ? 'scaigrid' : null
  }
  // A JSON array or scalar is no known envelope; a string body is just a message.
  if (typeof parsed.json === 'string') signals.message = str(parsed.json)
  if (!isObject(parsed.json)) return signals
  const top = parsed.json
  const rawError = field(top, 'error')
  const error = isObject(rawError) ? rawError : null
  const errorString = str(rawError)
  const meta = isObject(field(top, 'meta')) ? field(top, 'meta') as Obj : null

  const addCode = (value: unknown): void => {
    const found = code(value)
    if (found !== null && !signals.codes.includes(found)) signals.codes.push(found)
  }
  addCode(field(error, 'code'))
  addCode(field(top, 'code'))
  // OneCLI's gateway puts its code in `error` and the text in `message`.
  const topMessage = str(field(top, 'message'))
  if (errorString !== null && topMessage !== null && lowerSnake.test(errorString)) addCode(errorString)
  // A bare {"error": "QUOTA_EXCEEDED"} names a code, not a message.
  if (errorString !== null && topMessage === null && /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/.test(errorString)) addCode(errorString)
  if (typeof field(error, 'code') === 'number') {
    const status = code(field(error, 'status'))
    if (status !== null && /^[A-Z][A-Z_]{1,40}$/.test(status)) signals.grpcStatus = status
  }

  signals.message =
    str(field(error, 'message')) ??
    (signals.codes.includes(errorString ?? '') ? null : errorString) ??
    topMessage ??
    str(field(top, 'detail')) ??
    str(field(top, 'title')) ??
    signals.message

  signals.type = str(field(error, 'type')) ?? (errorString === null ? str(field(top, 'type')) : null)
  // An RFC 9457 type is a URI, not a platform's error type.
  if (signals.type !== null && signals.type.includes('/')) signals.type = null

  signals.requestId = str(field(top, 'request_id')) ?? str(field(meta, 'request_id')) ?? str(field(error, 'request_id'))
  signals.bodyStatus = httpStatus(field(top, 'status')) ?? httpStatus(field(error, 'code')) ?? signals.bodyStatus
  signals.retryAfterS = finiteNumber(field(error, 'retry_after')) ?? finiteNumber(field(top, 'retry_after'))

  const strategy = field(error, 'retry_strategy')
  if (isObject(strategy)) {
    signals.retryStrategy = {
      initialDelayMs: finiteNumber(field(strategy, 'initial_delay_ms')),
      maxDelayMs: finiteNumber(field(strategy, 'max_delay_ms'))
    }
  }
  const retryable = field(error, 'retryable')
  if (typeof retryable === 'boolean') signals.retryable = retryable

  signals.fingerprint = signals.fingerprint ?? fingerprint(top, error, errorString, meta)
  return signals
}

/** The envelope shapes of platforms.md, strongest evidence first. */
function fingerprint (top: Obj, error: Obj | null, errorString: string | null, meta: Obj | null): string | null {
  // ScaiGrid: {"status": "error", "error": {...}, "meta": {...}}
  if (field(top, 'status') === 'error' && (meta !== null || error !== null)) return 'scaigrid'
  const schemas = field(top, 'schemas')
  if (Array.isArray(schemas) && schemas.includes(SCIM_ERROR_SCHEMA)) return 'onecli'
  if (error !== null) {
    // Nullspace's CLI envelope carries hint / doc_url / suggested_action.
    if (['hint', 'doc_url', 'suggested_action'].some((key) => field(error, key) !== undefined)) return 'nullspace'
    const errorCode = field(error, 'code')
    // Xerotier is OpenAI-like: a type beside param and/or code.
    if (str(field(error, 'type')) !== null && (field(error, 'param') !== undefined || errorCode !== undefined)) return 'xerotier'
    // A nested {message, type} without code is OneCLI's service error.
    if (str(field(error, 'type')) !== null && str(field(error, 'message')) !== null) return 'onecli'
    if (typeof errorCode === 'string' && upperSnake.test(errorCode)) return 'scaigrid'
    return null
  }
  if (errorString !== null) {
    // Nullspace's API ErrorResponse: a message in `error` beside a machine code or its extras.
    if (['code', 'error_detail', 'build_id'].some((key) => field(top, key) !== undefined)) return 'nullspace'
    // OneCLI: the gateway's {"error": "<code>", "message"}, or a flat {"error": "<message>"}.
    // A bare {"error": "SOME_CODE"} is no message, and so no evidence of OneCLI.
    if (str(field(top, 'message')) !== null) return 'onecli'
    return /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/.test(errorString) ? null : 'onecli'
  }
  return null
}

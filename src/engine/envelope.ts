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

/**
 * A JSON object of the body, or null, whose fields are then read by name
 * (`error.code`). Each such read sees one or two object shapes and stays
 * fast, where a single `field(obj, key)` reader saw every key and shape of
 * every body and went megamorphic: about 3% of a classification request's
 * server CPU, measured side by side under load. Only own properties count:
 * an object whose prototype is not Object.prototype or null (a library
 * caller's class instance, an Object.create) is read through a copy of its
 * own properties, and Object.prototype has none of the names read here. A
 * body's own `__proto__` or `constructor` key is just data.
 */
function record (value: unknown): Obj | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null
  const prototype = Object.getPrototypeOf(value) as unknown
  return prototype === Object.prototype || prototype === null ? value as Obj : { ...value }
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
    grpcStatus: null,
    fingerprint: parsed.sseErrorEvent ? 'scaigrid' : null
  }
  // A JSON array or scalar is no known envelope; a string body is just a message.
  if (typeof parsed.json === 'string') signals.message = str(parsed.json)
  const top = record(parsed.json)
  if (top === null) return signals
  const rawError = top.error
  const error = record(rawError)
  const errorString = str(rawError)
  const meta = record(top.meta)

  addCode(signals, error?.code)
  addCode(signals, top.code)
  // OneCLI's gateway puts its code in `error` and the text in `message`.
  const topMessage = str(top.message)
  if (errorString !== null && topMessage !== null && lowerSnake.test(errorString)) addCode(signals, errorString)
  // A bare {"error": "QUOTA_EXCEEDED"} names a code, not a message.
  if (errorString !== null && topMessage === null && /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/.test(errorString)) addCode(signals, errorString)
  if (typeof error?.code === 'number') {
    const status = code(error.status)
    if (status !== null && /^[A-Z][A-Z_]{1,40}$/.test(status)) signals.grpcStatus = status
  }

  signals.message =
    str(error?.message) ??
    (signals.codes.includes(errorString ?? '') ? null : errorString) ??
    topMessage ??
    str(top.detail) ??
    str(top.title) ??
    signals.message

  signals.type = str(error?.type) ?? (errorString === null ? str(top.type) : null)
  // An RFC 9457 type is a URI, not a platform's error type.
  if (signals.type !== null && signals.type.includes('/')) signals.type = null

  signals.requestId = str(top.request_id) ?? str(meta?.request_id) ?? str(error?.request_id)
  signals.bodyStatus = httpStatus(top.status) ?? httpStatus(error?.code) ?? signals.bodyStatus
  signals.retryAfterS = finiteNumber(error?.retry_after) ?? finiteNumber(top.retry_after)

  const strategy = record(error?.retry_strategy)
  if (strategy !== null) {
    signals.retryStrategy = {
      initialDelayMs: finiteNumber(strategy.initial_delay_ms),
      maxDelayMs: finiteNumber(strategy.max_delay_ms)
    }
  }
  const retryable = error?.retryable
  if (typeof retryable === 'boolean') signals.retryable = retryable

  signals.fingerprint = signals.fingerprint ?? fingerprint(top, error, errorString, meta)
  return signals
}

/** The envelope shapes of platforms.md, strongest evidence first. */
function fingerprint (top: Obj, error: Obj | null, errorString: string | null, meta: Obj | null): string | null {
  // ScaiGrid: {"status": "error", "error": {...}, "meta": {...}}
  if (top.status === 'error' && (meta !== null || error !== null)) return 'scaigrid'
  const schemas = top.schemas
  if (Array.isArray(schemas) && schemas.includes(SCIM_ERROR_SCHEMA)) return 'onecli'
  if (error !== null) {
    // Nullspace's CLI envelope carries hint / doc_url / suggested_action.
    if (error.hint !== undefined || error.doc_url !== undefined || error.suggested_action !== undefined) return 'nullspace'
    const errorCode = error.code
    // Xerotier is OpenAI-like: a type beside param and/or code.
    if (str(error.type) !== null && (error.param !== undefined || errorCode !== undefined)) return 'xerotier'
    // A nested {message, type} without code is OneCLI's service error.
    if (str(error.type) !== null && str(error.message) !== null) return 'onecli'
    if (typeof errorCode === 'string' && upperSnake.test(errorCode)) return 'scaigrid'
    return null
  }
  if (errorString !== null) {
    // Nullspace's API ErrorResponse: a message in `error` beside a machine code or its extras.
    if (top.code !== undefined || top.error_detail !== undefined || top.build_id !== undefined) return 'nullspace'
    // OneCLI: the gateway's {"error": "<code>", "message"}, or a flat {"error": "<message>"}.
    // A bare {"error": "SOME_CODE"} is no message, and so no evidence of OneCLI.
    if (str(top.message) !== null) return 'onecli'
    return /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/.test(errorString) ? null : 'onecli'
  }
  return null
}

// Pulls the facts errcat needs out of a parsed body by reading a fixed set of
// paths, never by walking the value: a body nested 100,000 deep costs the same
// as a flat one. The paths are the error conventions APIs share: an `error`
// object or string with `code`, `type` and `message` (also inside a streamed
// `response` object); RFC 9457 problems; a
// JSON rendering of a gRPC status with its `details`; `__type`; `errors`
// lists. Which platform sent the body is the catalog's business, not this
// module's.
import { STATUS_CODES } from 'node:http'
import type { ParsedBody } from './parse.js'
import { FIELD_LIMIT } from './limits.js'
import { normalizedForOAuthError } from './status.js'

export interface Signals {
  /** Candidate platform codes, most authoritative first. */
  codes: string[]
  message: string | null
  type: string | null
  requestId: string | null
  /** A status the body states (RFC 9457 `status`, SCIM's string status, an HTML title). */
  bodyStatus: number | null
  /** `retry_after` seconds from the body, and where. */
  retryAfter: { seconds: number, field: string } | null
  /** A gRPC RetryInfo's `retryDelay`, as written (such as "30s"). */
  retryDelay: string | null
  /** The body's own backoff advice, `error.retry_strategy`. */
  retryStrategy: { initialDelayMs: number | null, maxDelayMs: number | null } | null
  /** The body's `retryable` flag, when it is a boolean. */
  retryable: boolean | null
  /** The gRPC status name of a JSON gRPC status: {"error": {"code": 404, "status": "NOT_FOUND"}}. */
  grpcStatus: string | null
  /** The messages of an `errors` list's items that differ from `message`, in order. */
  detailMessages: string[]
  /** Codes that only an `errors` list's items name: an API's numbers, which may not be its pages' codes. */
  listedCodes: string[]
  /** An OAuth 2.0 error code, {"error":"invalid_token","error_description":"..."}. */
  oauthError: string | null
}

/** HTTP's reason phrases, lowercased ("too many requests"), as Node knows them. */
const REASON_PHRASES: ReadonlySet<string> = new Set(Object.values(STATUS_CODES).flatMap((phrase) => phrase === undefined ? [] : [phrase.toLowerCase()]))

/** Codes are identifiers: anything longer or with spaces is not a code. */
const codeLike = /^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/
/** Numbered codes, such as 1015 or 10000: only from fields that hold codes. */
const numberedCode = /^\d{1,8}$/
const lowerSnake = /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/
/** Words joined by underscores, in any case: a code, not a sentence. */
const snakeCode = /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/
/** How many items of a `details` or `errors` list are read. */
const LIST_ITEMS_READ = 8

type Obj = Record<string, unknown>

/** A JSON object (not an array), whose own fields are then read by name. */
function record (value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value as Obj : null
}

/** An own field: inherited ones (a class instance's methods, Object.prototype's) are never read. */
function own (object: Obj | null, key: string): unknown {
  return object !== null && Object.hasOwn(object, key) ? object[key] : undefined
}

/** The first items of a list, as objects. */
function items (value: unknown): Obj[] {
  if (!Array.isArray(value)) return []
  const found: Obj[] = []
  for (let i = 0; i < value.length && i < LIST_ITEMS_READ; i++) {
    const item = record(value[i])
    if (item !== null) found.push(item)
  }
  return found
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

/** A code from a field that holds nothing else: an identifier, or a number. */
function codeOrNumber (value: unknown): string | null {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return String(value)
  const text = str(value)
  return text !== null && (codeLike.test(text) || numberedCode.test(text)) ? text : null
}

function finiteNumber (value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^\d{1,9}(\.\d{1,6})?$/.test(value.trim())) return Number(value)
  return null
}

function add (signals: Signals, found: string | null): void {
  if (found !== null && !signals.codes.includes(found)) signals.codes.push(found)
}

function httpStatus (value: unknown): number | null {
  const n = finiteNumber(value)
  return n !== null && Number.isInteger(n) && n >= 400 && n <= 599 ? n : null
}

/**
 * `com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException` → the name after the namespace, before any colon,
 * as Smithy's JSON protocols write their `__type` (and may write their `code`).
 */
function typeName (value: unknown): string | null {
  const text = str(value)
  if (text === null) return null
  const name = text.slice(text.lastIndexOf('#') + 1).split(':', 1)[0] as string
  return codeLike.test(name) ? name : null
}

/** The items of a gRPC status's `details` whose `@type` ends with `.name`. */
function detailsOf (details: Obj[], name: string): Obj[] {
  return details.filter((detail) => str(own(detail, '@type'))?.endsWith(`.${name}`) === true)
}

export function extractSignals (parsed: ParsedBody): Signals {
  const signals: Signals = {
    codes: [],
    message: parsed.text,
    type: null,
    requestId: null,
    bodyStatus: parsed.statusHint,
    retryAfter: null,
    retryDelay: null,
    retryStrategy: null,
    retryable: null,
    grpcStatus: null,
    detailMessages: [],
    listedCodes: [],
    oauthError: null
  }
  // A JSON array of one error (some gateways wrap the body so) is read as that error.
  const json = Array.isArray(parsed.json) && parsed.json.length === 1 ? parsed.json[0] : parsed.json
  // A JSON scalar is no known envelope; a string body is just a message.
  if (typeof json === 'string') signals.message = str(json)
  const top = record(json)
  if (top === null) return signals
  // A Responses-style stream event carries the failed response, and the error in it:
  // {"type":"response.failed","response":{"status":"failed","error":{...}}}.
  // OData's verbose JSON format names its error object "odata.error".
  const rawError = own(top, 'error') ?? own(record(own(top, 'response')), 'error') ?? own(top, 'odata.error')
  const error = record(rawError)
  const errorString = str(rawError)
  const meta = record(own(top, 'meta'))
  const errorCode = own(error, 'code')
  const details = items(own(error, 'details'))
  const errors = items(own(top, 'errors'))
  const innerErrors = items(own(error, 'errors'))

  // A gRPC status's ErrorInfo reason is the most specific code it has.
  for (const info of detailsOf(details, 'ErrorInfo')) add(signals, code(own(info, 'reason')))
  add(signals, code(errorCode))
  add(signals, code(own(record(own(error, 'innererror')), 'code')))
  const topCode = own(top, 'code')
  add(signals, typeof topCode === 'string' && topCode.includes('#') ? typeName(topCode) : code(topCode))
  add(signals, typeName(own(top, '__type')))
  add(signals, code(own(top, 'Code')))
  add(signals, codeOrNumber(own(top, 'error_name')))
  add(signals, codeOrNumber(own(top, 'error_code')))
  for (const item of errors) {
    const listed = codeOrNumber(own(item, 'code'))
    if (listed !== null && !signals.codes.includes(listed)) signals.listedCodes.push(listed)
    add(signals, listed)
  }
  for (const item of innerErrors) add(signals, code(own(item, 'reason')))
  // Some gateways put their code in `error` and the text in `message`.
  const topMessage = str(own(top, 'message')) ?? str(own(top, 'Message'))
  if (errorString !== null && topMessage !== null && lowerSnake.test(errorString)) add(signals, code(errorString))
  // A bare {"error": "QUOTA_EXCEEDED"} names a code, not a message.
  if (errorString !== null && topMessage === null && snakeCode.test(errorString)) add(signals, code(errorString))
  if (errorString !== null && normalizedForOAuthError(errorString) !== null) signals.oauthError = errorString
  if (typeof errorCode === 'number') {
    const status = code(own(error, 'status'))
    if (status !== null && /^[A-Z][A-Z_]{1,40}$/.test(status)) signals.grpcStatus = status
  }

  // {"statusCode":429,"error":"Too Many Requests","message":"..."} (Fastify, Boom, NestJS): `error` only names the status.
  const errorIsPhrase = errorString !== null && topMessage !== null && REASON_PHRASES.has(errorString.toLowerCase())
  signals.message =
    str(own(error, 'message')) ??
    // OData writes the text as {"lang":"en-US","value":"..."}.
    str(own(record(own(error, 'message')), 'value')) ??
    (signals.codes.includes(errorString ?? '') || errorIsPhrase ? null : errorString) ??
    topMessage ??
    str(own(top, 'error_description')) ??
    str(own(errors[0] ?? null, 'message')) ??
    str(own(top, 'detail')) ??
    str(own(top, 'title')) ??
    signals.message

  // A summary such as "Validation Failed" may list what failed more precisely.
  for (const item of [...errors, ...innerErrors]) {
    const detail = str(own(item, 'message'))
    if (detail !== null && detail !== signals.message && !signals.detailMessages.includes(detail)) signals.detailMessages.push(detail)
  }

  signals.type = str(own(error, 'type')) ?? (errorString === null ? str(own(top, 'type')) : null)
  // An RFC 9457 type is a URI, not a platform's error type; `error` is an envelope's own tag.
  if (signals.type !== null && (signals.type.includes('/') || signals.type === 'error')) signals.type = null

  signals.requestId = str(own(top, 'request_id')) ?? str(own(meta, 'request_id')) ?? str(own(error, 'request_id')) ??
    str(own(top, 'requestId')) ?? str(own(top, 'RequestId'))
  signals.bodyStatus = httpStatus(own(top, 'status')) ?? httpStatus(errorCode) ?? signals.bodyStatus

  const errorRetryAfter = finiteNumber(own(error, 'retry_after'))
  const topRetryAfter = finiteNumber(own(top, 'retry_after'))
  // A Kubernetes Status: {"kind":"Status",...,"details":{"retryAfterSeconds":5}}.
  const detailsRetryAfter = finiteNumber(own(record(own(top, 'details')), 'retryAfterSeconds'))
  if (errorRetryAfter !== null) signals.retryAfter = { seconds: errorRetryAfter, field: 'error.retry_after' }
  else if (topRetryAfter !== null) signals.retryAfter = { seconds: topRetryAfter, field: 'retry_after' }
  else if (detailsRetryAfter !== null) signals.retryAfter = { seconds: detailsRetryAfter, field: 'details.retryAfterSeconds' }
  signals.retryDelay = str(own(detailsOf(details, 'RetryInfo')[0] ?? null, 'retryDelay'))

  const strategy = record(own(error, 'retry_strategy'))
  if (strategy !== null) {
    signals.retryStrategy = {
      initialDelayMs: finiteNumber(own(strategy, 'initial_delay_ms')),
      maxDelayMs: finiteNumber(own(strategy, 'max_delay_ms'))
    }
  }
  const retryable = own(error, 'retryable') ?? own(top, 'retryable')
  if (typeof retryable === 'boolean') signals.retryable = retryable
  return signals
}

// Classifications as JSON text, written field by field in the order of the
// Classification schema. The generic serializer compiled from that schema
// re-escapes each entry's remediation on every answer and checks every
// nullable or enumerated field against the schema at run time; here a
// catalog remediation is serialized once and reused, and fields from closed
// sets need no escaping. The output is exactly JSON.stringify's: the tests
// hold the two against each other.
import type { Remediation } from '../catalog/schema.js'
import type { Classification } from '../engine/classify.js'
import { jsonString } from '../json-text.js'

/** Remediations the catalog owns are frozen and live as long as their catalog. */
const catalogRemediationJson = new WeakMap<Remediation, string>()

function remediationJson (remediation: Remediation): string {
  // A remediation made for one call (with its request id) is used once: not worth keeping.
  if (!Object.isFrozen(remediation)) return JSON.stringify(remediation)
  let json = catalogRemediationJson.get(remediation)
  if (json === undefined) {
    json = JSON.stringify(remediation)
    catalogRemediationJson.set(remediation, json)
  }
  return json
}

function nullableString (value: string | null): string {
  return value === null ? 'null' : jsonString(value)
}

/** Template parameters are most often none. */
function paramsJson (params: Record<string, string>): string {
  for (const name in params) if (Object.hasOwn(params, name)) return JSON.stringify(params)
  return '{}'
}

/** JSON.stringify's rendering of a number: a non-finite one is null. */
function nullableNumber (value: number | null): string {
  return value !== null && Number.isFinite(value) ? String(value) : 'null'
}

/**
 * normalized_code, matched_by and strategy come from closed sets of
 * identifiers (the catalog schema and the engine's types), so they are
 * written between quotes as they are.
 */
export function classificationJson (result: Classification): string {
  const retry = result.retry
  return '{"normalized_code":"' + result.normalized_code +
    '","source":' + nullableString(result.source) +
    ',"code":' + nullableString(result.code) +
    ',"matched_by":"' + result.matched_by +
    '","http_status":' + nullableNumber(result.http_status) +
    ',"message":' + nullableString(result.message) +
    ',"request_id":' + nullableString(result.request_id) +
    ',"params":' + paramsJson(result.params) +
    ',"retry":{"retryable":' + String(retry.retryable) +
    ',"strategy":"' + retry.strategy +
    '","delay_ms":' + nullableNumber(retry.delay_ms) +
    ',"max_attempts":' + nullableNumber(retry.max_attempts) +
    ',"base_delay_ms":' + nullableNumber(retry.base_delay_ms) +
    ',"max_delay_ms":' + nullableNumber(retry.max_delay_ms) +
    ',"reason":' + jsonString(retry.reason) +
    '},"remediation":' + remediationJson(result.remediation) + '}'
}

const BATCH_OPEN = '{"results":['
const BATCH_CLOSE = ']}'
const COMMA = 0x2c

/**
 * The body of a /classify/batch answer, as UTF-8 bytes written item by item.
 * Joined into one string, a 100-item answer (about 60 KB) was copied whole
 * three times on its way out: by the join, when Fastify measured its length,
 * and when the socket write flattened it onto the headers; each copy a
 * fresh string for the garbage collector.
 */
export function batchJson (results: readonly Classification[]): Buffer {
  const items = results.map(classificationJson)
  let size = BATCH_OPEN.length + BATCH_CLOSE.length + Math.max(0, items.length - 1)
  for (const item of items) size += Buffer.byteLength(item)
  const bytes = Buffer.allocUnsafe(size)
  let offset = bytes.write(BATCH_OPEN, 0, 'latin1')
  for (let i = 0; i < items.length; i++) {
    if (i > 0) bytes[offset++] = COMMA
    offset += bytes.write(items[i] as string, offset)
  }
  bytes.write(BATCH_CLOSE, offset, 'latin1')
  return bytes
}

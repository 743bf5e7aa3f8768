// Which source a response comes from, by the fingerprints the catalog gives
// each source. A mark decides before any shape does; when fingerprints of
// several sources fit at the same strength, none of them decides.
import type { ValueKind } from '../catalog/schema.js'
import type { Catalog, Condition, Fingerprint } from '../catalog/types.js'
import type { ParsedBody } from './parse.js'

const kindTests: Record<ValueKind, (value: unknown) => boolean> = {
  string: (value) => typeof value === 'string' && value.trim() !== '',
  object: (value) => typeof value === 'object' && value !== null && !Array.isArray(value),
  array: (value) => Array.isArray(value),
  number: (value) => typeof value === 'number' && Number.isFinite(value),
  boolean: (value) => typeof value === 'boolean',
  snake_case: (value) => typeof value === 'string' && /^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)+$/.test(value),
  upper_snake: (value) => typeof value === 'string' && /^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/.test(value)
}

/** True when `value` is of the kind. */
export function isKind (kind: ValueKind, value: unknown): boolean {
  return kindTests[kind](value)
}

/** The value at a path of own properties of JSON objects, or undefined. */
function at (json: unknown, path: readonly string[]): unknown {
  let value = json
  for (const key of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function holds (condition: Condition, body: ParsedBody): boolean {
  if (condition.test === 'sse_event') return body.sseEvents.includes(condition.event)
  const value = at(body.json, condition.path)
  switch (condition.test) {
    case 'is': return isKind(condition.kind, value)
    case 'is_not': return !isKind(condition.kind, value)
    case 'present': return (value !== undefined) === condition.present
    case 'equals': return value === condition.value
    case 'contains':
      if (Array.isArray(value)) return value.includes(condition.text)
      return typeof value === 'string' && value.includes(condition.text)
  }
}

function fits (fingerprint: Fingerprint, body: ParsedBody): boolean {
  return fingerprint.all.every((condition) => holds(condition, body)) &&
    (fingerprint.any.length === 0 || fingerprint.any.some((condition) => holds(condition, body)))
}

/** The one source whose fingerprints fit the body best, or null when none fits or several do. */
export function sourceByFingerprint (catalog: Catalog, body: ParsedBody): string | null {
  let strength: Fingerprint['strength'] | null = null
  let found: string | null = null
  // catalog.fingerprints holds the marks first.
  for (const fingerprint of catalog.fingerprints) {
    if (strength !== null && fingerprint.strength !== strength) break
    if (!fits(fingerprint, body)) continue
    if (found !== null && found !== fingerprint.source) return null
    found = fingerprint.source
    strength = fingerprint.strength
  }
  return found
}

// Which source a response comes from, by the fingerprints the catalog gives
// each source: marks decide first, then shapes, then transit marks (the
// headers a proxy puts on everything that passes through it). When
// fingerprints of several sources fit at the same strength, none of them
// decides: they are the candidates. A generic layout, one that systems
// outside the catalog use too, never decides, even for one source.
import type { ValueKind } from '../catalog/schema.js'
import type { Catalog, Condition, Fingerprint } from '../catalog/types.js'
import type { ParsedBody } from './parse.js'

/** What a fingerprint can look at. */
export interface ResponseView {
  body: ParsedBody
  /** Upstream headers, lowercase names. */
  headers: Readonly<Record<string, string>>
  status: number | null
}

export interface SourceDecision {
  /** The source the evidence settles, or null. */
  source: string | null
  /** The sources the evidence fits, best first: [source] when one decides. */
  candidates: string[]
  /** What fitted, for the answer's evidence. */
  evidence: string | null
  /** Only generic layouts fitted: a code or message the candidates hold may settle the source, nothing else. */
  generic: boolean
}

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

function holds (condition: Condition, response: ResponseView): boolean {
  switch (condition.test) {
    case 'body_contains': return response.body.raw.includes(condition.text)
    case 'sse_event': return response.body.sseEvents.includes(condition.event)
    case 'status_in': return response.status !== null && condition.statuses.includes(response.status)
  }
  const isHeader = 'header' in condition
  const value = isHeader ? response.headers[condition.header]?.toLowerCase() : at(response.body.json, condition.path)
  switch (condition.test) {
    case 'is': return isKind(condition.kind, value)
    case 'is_not': return !isKind(condition.kind, value)
    case 'present': return (value !== undefined) === condition.present
    case 'equals': return value === condition.value
    case 'starts_with': return typeof value === 'string' && value.startsWith(condition.text)
    case 'contains':
      if (Array.isArray(value)) return value.includes(condition.text)
      return typeof value === 'string' && value.includes(condition.text)
  }
}

function fits (fingerprint: Fingerprint, response: ResponseView): boolean {
  return fingerprint.all.every((condition) => holds(condition, response)) &&
    (fingerprint.any.length === 0 || fingerprint.any.some((condition) => holds(condition, response)))
}

/** The sources whose fingerprints fit the response at the strongest strength any fits at. */
export function sourceByFingerprint (catalog: Catalog, response: ResponseView): SourceDecision {
  let strength: Fingerprint['strength'] | null = null
  const fitted: Fingerprint[] = []
  // catalog.fingerprints holds the marks first, then the shapes, then the transit marks.
  for (const fingerprint of catalog.fingerprints) {
    if (strength !== null && fingerprint.strength !== strength) break
    if (!fits(fingerprint, response)) continue
    strength = fingerprint.strength
    fitted.push(fingerprint)
  }
  // Best first: the most conditions that held, then catalog order.
  fitted.sort((a, b) => (b.all.length + (b.any.length > 0 ? 1 : 0)) - (a.all.length + (a.any.length > 0 ? 1 : 0)))
  const candidates = [...new Set(fitted.map((fingerprint) => fingerprint.source))]
  if (candidates.length === 0) return { source: null, candidates, evidence: null, generic: false }
  if (strength === 'generic') return { source: null, candidates, evidence: `${fitted.map((fingerprint) => fingerprint.evidence).filter((text, i, all) => all.indexOf(text) === i).join('; ')}, a layout many systems use`, generic: true }
  if (candidates.length === 1) return { source: candidates[0] as string, candidates, evidence: (fitted[0] as Fingerprint).evidence, generic: false }
  return { source: null, generic: false, candidates, evidence: `${fitted.map((fingerprint) => fingerprint.evidence).filter((text, i, all) => all.indexOf(text) === i).join('; ')} (fits ${candidates.join(' and ')})` }
}

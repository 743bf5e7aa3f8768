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
  /** The source decided answered as the service called, even if it is a proxy (its own API's layout fitted). */
  asService: boolean
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

/**
 * The value at a path of own properties of JSON objects, or undefined. A path
 * through a list reads its first item, as `candidates.finishReason` reads the
 * first candidate's.
 */
export function valueAt (json: unknown, path: readonly string[]): unknown {
  let value = json
  for (const key of path) {
    if (Array.isArray(value)) value = value[0]
    if (typeof value !== 'object' || value === null || Array.isArray(value) || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

type Predicate = (response: ResponseView) => boolean

/** A condition as a function of the response, so that a request dispatches on nothing. */
function compile (condition: Condition): Predicate {
  switch (condition.test) {
    case 'body_contains': {
      const text = condition.text
      return (response) => response.body.raw.includes(text)
    }
    case 'sse_event': {
      const event = condition.event
      return (response) => response.body.sseEvents.includes(event)
    }
    case 'status_in': {
      const statuses = new Set(condition.statuses)
      return (response) => response.status !== null && statuses.has(response.status)
    }
    case 'body_format_in': {
      const formats = new Set(condition.formats)
      return (response) => formats.has(response.body.format)
    }
  }
  let read: (response: ResponseView) => unknown
  if ('header' in condition) {
    const name = condition.header
    read = (response) => response.headers[name]?.toLowerCase()
  } else {
    const path = condition.path
    read = (response) => valueAt(response.body.json, path)
  }
  switch (condition.test) {
    case 'is': {
      const test = kindTests[condition.kind]
      return (response) => test(read(response))
    }
    case 'is_not': {
      const test = kindTests[condition.kind]
      return (response) => !test(read(response))
    }
    case 'present': {
      const present = condition.present
      return (response) => (read(response) !== undefined) === present
    }
    case 'equals': {
      const expected = condition.value
      return (response) => read(response) === expected
    }
    case 'starts_with': {
      const text = condition.text
      return (response) => {
        const value = read(response)
        return typeof value === 'string' && value.startsWith(text)
      }
    }
    case 'contains': {
      const text = condition.text
      return (response) => {
        const value = read(response)
        if (Array.isArray(value)) return value.includes(text)
        return typeof value === 'string' && value.includes(text)
      }
    }
  }
}

/** Headers and statuses cost a lookup, paths a walk, body text a scan: the cheapest tests first. */
function cost (condition: Condition): number {
  if ('header' in condition || condition.test === 'status_in' || condition.test === 'body_format_in') return 0
  if (condition.test === 'body_contains') return 2
  return 1
}

interface CompiledFingerprint {
  fingerprint: Fingerprint
  all: readonly Predicate[]
  any: readonly Predicate[]
}

const compiledFor = new WeakMap<Catalog, readonly CompiledFingerprint[]>()

/** The catalog's fingerprints as predicates, compiled once per catalog. */
function compiled (catalog: Catalog): readonly CompiledFingerprint[] {
  let found = compiledFor.get(catalog)
  if (found === undefined) {
    found = catalog.fingerprints.map((fingerprint) => ({
      fingerprint,
      all: [...fingerprint.all].sort((a, b) => cost(a) - cost(b)).map(compile),
      any: [...fingerprint.any].sort((a, b) => cost(a) - cost(b)).map(compile)
    }))
    compiledFor.set(catalog, found)
  }
  return found
}

function fits (compiledFingerprint: CompiledFingerprint, response: ResponseView): boolean {
  for (const holds of compiledFingerprint.all) if (!holds(response)) return false
  if (compiledFingerprint.any.length === 0) return true
  for (const holds of compiledFingerprint.any) if (holds(response)) return true
  return false
}

/** The sources whose fingerprints fit the response at the strongest strength any fits at. */
export function sourceByFingerprint (catalog: Catalog, response: ResponseView): SourceDecision {
  let strength: Fingerprint['strength'] | null = null
  const fitted: Fingerprint[] = []
  // catalog.fingerprints holds the marks first, then the shapes, then the transit marks.
  for (const candidate of compiled(catalog)) {
    const fingerprint = candidate.fingerprint
    if (strength !== null && fingerprint.strength !== strength) break
    if (!fits(candidate, response)) continue
    strength = fingerprint.strength
    fitted.push(fingerprint)
  }
  // Best first: the most conditions that held, then catalog order.
  fitted.sort((a, b) => (b.all.length + (b.any.length > 0 ? 1 : 0)) - (a.all.length + (a.any.length > 0 ? 1 : 0)))
  const candidates = [...new Set(fitted.map((fingerprint) => fingerprint.source))]
  if (candidates.length === 0) return { source: null, candidates, evidence: null, generic: false, asService: false }
  if (strength === 'generic') return { source: null, candidates, evidence: `${fitted.map((fingerprint) => fingerprint.evidence).filter((text, i, all) => all.indexOf(text) === i).join('; ')}, a layout many systems use`, generic: true, asService: false }
  if (candidates.length === 1) return { source: candidates[0] as string, candidates, evidence: (fitted[0] as Fingerprint).evidence, generic: false, asService: fitted.some((fingerprint) => fingerprint.service) }
  return { source: null, generic: false, asService: false, candidates, evidence: `${fitted.map((fingerprint) => fingerprint.evidence).filter((text, i, all) => all.indexOf(text) === i).join('; ')} (fits ${candidates.join(' and ')})` }
}

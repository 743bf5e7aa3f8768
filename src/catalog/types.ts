// The catalog as the rest of errcat sees it: resolved entries and immutable
// indexes built once at load. Nothing outside src/catalog reads the files.
import type { BodyFormat, Entry, FingerprintStrength, MessageHint, NormalizedCode, RateLimitReset, Source, TaxonomyCode, ValueKind } from './schema.js'
import type { TemplateIndex } from './templates.js'
import type { PatternRule } from './patterns.js'

export type { Entry, EntryKind, NormalizedCode, RateLimitReset, Source, TaxonomyCode } from './schema.js'

/** What a condition tests: a body path (split into property names) or a header. */
export type Subject = { path: readonly string[] } | { header: string }

/** A fingerprint condition. Header values are compared in lowercase. */
export type Condition =
  | Subject & { test: 'is' | 'is_not', kind: ValueKind }
  | Subject & { test: 'present', present: boolean }
  | Subject & { test: 'equals', value: string | number | boolean }
  | Subject & { test: 'contains' | 'starts_with', text: string }
  | { test: 'body_contains', text: string }
  | { test: 'sse_event', event: string }
  | { test: 'status_in', statuses: readonly number[] }
  | { test: 'body_format_in', formats: readonly BodyFormat[] }

export interface Fingerprint {
  source: string
  evidence: string
  strength: FingerprintStrength
  /** A response it fits comes from the source as the service called, though the source is a proxy. */
  service: boolean
  all: readonly Condition[]
  any: readonly Condition[]
}

export interface SourceIndex {
  info: Source
  /** Entries keyed by the platform's exact code (kinds code, message, template). */
  byCode: ReadonlyMap<string, Entry>
  /** The same entries by lowercased code: every spelling of a code that differs only in case. */
  byLowerCode: ReadonlyMap<string, readonly Entry[]>
  byMessage: ReadonlyMap<string, Entry>
  byType: ReadonlyMap<string, Entry>
  /** Type rules by lowercased type. */
  byLowerType: ReadonlyMap<string, readonly Entry[]>
  byStatus: ReadonlyMap<number, Entry>
  /** The status rules whose status is itself the platform's code (status_is_code). */
  statusesNamingCode: ReadonlySet<Entry>
  /** The entries whose code the platform writes only on its pages and texts (page_code). */
  pageCodes: ReadonlySet<Entry>
  patterns: readonly PatternRule[]
  templates: TemplateIndex
  /** The hints of the entries that have any. */
  messageHints: ReadonlyMap<Entry, readonly MessageHint[]>
  /** Headers whose value names the error code. */
  codeHeaders: readonly string[]
  /** Texts after which its bodies name their code. */
  bodyCodeMarks: readonly string[]
  /** Paths (split at their dots) where its JSON bodies name their code outside the envelope. */
  bodyCodePaths: readonly (readonly string[])[]
  /** Headers that carry the source's request id. */
  requestIdHeaders: readonly string[]
  /** Headers whose true or false says whether to repeat the call, besides x-should-retry. */
  shouldRetryHeaders: readonly string[]
  /** Headers that say when its rate limits reset. */
  rateLimitResets: readonly RateLimitReset[]
  entries: readonly Entry[]
}

export interface Catalog {
  /** Content hash of every catalog file: changes exactly when the catalog does. */
  version: string
  loadedAt: string
  dir: string
  sourceIds: readonly string[]
  sources: ReadonlyMap<string, SourceIndex>
  /** The same indexes as `sources`, in order. */
  sourceList: readonly SourceIndex[]
  /** Every source's fingerprints, marks first, then shapes, then transit marks, then generic layouts. */
  fingerprints: readonly Fingerprint[]
  /** Every response header some source's fingerprints, codes, request ids or rate-limit resets are read from. */
  headerNames: ReadonlySet<string>
  /** The rate-limit reset headers read when no source is known: every source's, but those two sources read differently. */
  rateLimitResets: readonly RateLimitReset[]
  /** Every source's code headers, each named once, in source order. */
  codeHeaders: readonly string[]
  /** Every source's request-id headers, each named once, in source order. */
  requestIdHeaders: readonly string[]
  taxonomy: ReadonlyMap<NormalizedCode, TaxonomyCode>
  /** Codes many systems send, as `codeWords` spells them: the normalized codes and the taxonomy's common_codes. */
  commonCodes: ReadonlySet<string>
  /**
   * Every entry a code lookup finds, by lowercased name, in source order: in
   * each source, its codes of that name in any case, or else its type and
   * status rules of that name.
   */
  byLowerName: ReadonlyMap<string, readonly Entry[]>
  /** Every entry of every kind, in source and file order (for search and suggestions). */
  allEntries: readonly Entry[]
  /** Lowercased code, title, description, message and template of allEntries[i], for search. */
  searchText: readonly string[]
}

// The catalog as the rest of errcat sees it: resolved entries and immutable
// indexes built once at load. Nothing outside src/catalog reads the files.
import type { Entry, MessageHint, NormalizedCode, Source, TaxonomyCode, ValueKind } from './schema.js'
import type { TemplateIndex } from './templates.js'
import type { PatternRule } from './patterns.js'

export type { Entry, EntryKind, NormalizedCode, Source, TaxonomyCode } from './schema.js'

/** A fingerprint condition, its path split into property names. */
export type Condition =
  | { path: readonly string[], test: 'is' | 'is_not', kind: ValueKind }
  | { path: readonly string[], test: 'present', present: boolean }
  | { path: readonly string[], test: 'equals', value: string | number | boolean }
  | { path: readonly string[], test: 'contains', text: string }
  | { test: 'sse_event', event: string }

export interface Fingerprint {
  source: string
  evidence: string
  strength: 'mark' | 'shape'
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
  patterns: readonly PatternRule[]
  templates: TemplateIndex
  /** The hints of the entries that have any. */
  messageHints: ReadonlyMap<Entry, readonly MessageHint[]>
  /** How codes this source does not list are spelled, when it says. */
  unlistedCodes: ValueKind | null
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
  /** Every source's fingerprints, marks first. */
  fingerprints: readonly Fingerprint[]
  taxonomy: ReadonlyMap<NormalizedCode, TaxonomyCode>
  /** Every entry of every kind, in source and file order (for search and suggestions). */
  allEntries: readonly Entry[]
  /** Lowercased code, title, description, message and template of allEntries[i], for search. */
  searchText: readonly string[]
}

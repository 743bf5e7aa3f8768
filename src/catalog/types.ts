// The catalog as the rest of errcat sees it: resolved entries and immutable
// indexes built once at load. Nothing outside src/catalog reads the YAML files.
import type { NormalizedCode, RetryPolicy, Remediation } from './schema.js'
import type { TemplateIndex } from './templates.js'
import type { PatternRule } from './patterns.js'

export type EntryKind = 'code' | 'message' | 'template' | 'type' | 'pattern' | 'status'

/** One catalog entry with its retry policy resolved against the taxonomy. */
export interface Entry {
  source: string
  code: string
  kind: EntryKind
  normalized_code: NormalizedCode
  http_status: number | null
  title: string
  description: string
  retry: RetryPolicy
  remediation: Remediation
  origin: 'seed' | 'platform_docs'
  message?: string
  template?: string
  type?: string
  notes?: string
  inferred?: string[]
}

export interface TaxonomyCode {
  code: NormalizedCode
  meaning: string
  http_status: number[]
  grpc_code: string
  retry: RetryPolicy
  retry_note?: string
  remediation: Remediation
}

export interface SourceInfo {
  id: string
  name: string
  docs: string[]
  envelope: string
  diagnostic_tool: string | null
  entry_count: number
}

export interface SourceIndex {
  info: SourceInfo
  /** Entries keyed by the platform's exact code (kinds code, message, template). */
  byCode: ReadonlyMap<string, Entry>
  /** byCode's entries spelled in mixed case, by lowercased code: the rest are found ignoring case through byCode (see codes.ts). */
  mixedCaseCodes: ReadonlyMap<string, readonly Entry[]>
  byMessage: ReadonlyMap<string, Entry>
  byType: ReadonlyMap<string, Entry>
  /** byType's entries spelled in mixed case, by lowercased type. */
  mixedCaseTypes: ReadonlyMap<string, readonly Entry[]>
  byStatus: ReadonlyMap<number, Entry>
  patterns: readonly PatternRule[]
  templates: TemplateIndex
  entries: readonly Entry[]
}

export interface Catalog {
  /** Content hash of every catalog file: changes exactly when the catalog does. */
  version: string
  loadedAt: string
  dir: string
  sourceIds: readonly string[]
  sources: ReadonlyMap<string, SourceIndex>
  /** The same indexes as `sources`, in order, so a request iterates them without building a list. */
  sourceList: readonly SourceIndex[]
  taxonomy: ReadonlyMap<NormalizedCode, TaxonomyCode>
  /** Every entry of every kind, in source and file order (for search and suggestions). */
  allEntries: readonly Entry[]
  /** Lowercased code, title, description, message and template of allEntries[i], for search. */
  searchText: readonly string[]
}

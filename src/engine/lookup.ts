// Code lookup and search over the catalog indexes: the read side of errcat.
import { patternMatches } from '../catalog/patterns.js'
import type { Catalog, Entry, SourceIndex } from '../catalog/types.js'
import type { NormalizedCode } from '../catalog/schema.js'
import { UnknownSourceError } from './errors.js'
import { DEFAULT_SEARCH_LIMIT } from './limits.js'
import type { LookupResult, SearchResult } from './schemas.js'
import { suggest } from './suggest.js'

export type { LookupResult, SearchResult } from './schemas.js'
export { suggest }

export interface LookupOptions {
  source?: string | undefined
}

function sourcesFor (catalog: Catalog, source: string | undefined): readonly SourceIndex[] {
  if (source === undefined) return catalog.sourceList
  const index = catalog.sources.get(source)
  if (index === undefined) throw new UnknownSourceError(source, catalog.sourceIds)
  return [index]
}

/**
 * Every entry for a code: the platform's exact spelling first, then other
 * spellings that differ only in case, from every source. A source without
 * such a code answers with its envelope type or status rule of that name.
 * Pattern rules answer only when nothing else does.
 */
export function lookup (code: string, catalog: Catalog, options: LookupOptions = {}): LookupResult {
  const sources = sourcesFor(catalog, options.source)
  const named = catalog.byLowerName.get(code.toLowerCase()) ?? []
  const exact: Entry[] = []
  const folded: Entry[] = []
  for (const entry of named) {
    if (options.source !== undefined && entry.source !== options.source) continue
    if (entry.code === code) exact.push(entry)
    else folded.push(entry)
  }
  if (exact.length + folded.length > 0) return { query: code, matches: [...exact, ...folded] }

  const rules: Entry[] = []
  for (const index of sources) {
    const rule = index.patterns.find((candidate) => patternMatches(candidate, code))
    if (rule !== undefined) rules.push(rule.entry)
  }
  return { query: code, matches: rules }
}

/** What every adapter says about a code no source knows: the same words over HTTP and in the CLI. */
export function unknownCode (code: string, catalog: Catalog, options: LookupOptions = {}): { detail: string, suggestions: string[] } {
  return {
    detail: `No source${options.source === undefined ? '' : ` "${options.source}"`} knows the code "${code}".`,
    suggestions: suggest(code, catalog, options)
  }
}

export interface SearchQuery {
  q?: string | undefined
  source?: string | undefined
  normalized_code?: NormalizedCode | undefined
  limit?: number | undefined
  offset?: number | undefined
}

/**
 * Entries whose code, title, description, message or template contain every
 * word of `q` (case-insensitive). Code hits rank first, then title hits.
 */
export function search (catalog: Catalog, query: SearchQuery = {}): SearchResult {
  if (query.source !== undefined) sourcesFor(catalog, query.source)
  const words = (query.q ?? '').toLowerCase().split(/\s+/).filter(Boolean).slice(0, 16)
  const ranked: Array<{ entry: Entry, rank: number, order: number }> = []
  catalog.allEntries.forEach((entry, order) => {
    if (query.source !== undefined && entry.source !== query.source) return
    if (query.normalized_code !== undefined && entry.normalized_code !== query.normalized_code) return
    if (words.length === 0) {
      ranked.push({ entry, rank: 0, order })
      return
    }
    const text = catalog.searchText[order] as string
    if (!words.every((word) => text.includes(word))) return
    const code = entry.code.toLowerCase()
    const title = entry.title.toLowerCase()
    const rank = words.every((word) => code.includes(word)) ? 0 : words.every((word) => title.includes(word)) ? 1 : 2
    ranked.push({ entry, rank, order })
  })
  ranked.sort((a, b) => a.rank - b.rank || a.order - b.order)
  const offset = query.offset ?? 0
  const limit = query.limit ?? DEFAULT_SEARCH_LIMIT
  return { items: ranked.slice(offset, offset + limit).map((hit) => hit.entry), total: ranked.length }
}

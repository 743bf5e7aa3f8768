// Suggestions for an unknown code: the nearest known spellings, by shared
// prefix and edit distance (fastest-levenshtein).
import { distance } from 'fastest-levenshtein'
import type { Catalog } from '../catalog/types.js'
import { UnknownSourceError } from './errors.js'

export const SUGGESTION_COUNT = 5

/** UTF-16 code-unit order, as the default sort compares strings. */
export function byCodeUnits (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// The known spellings of a catalog, lowercased (lookup ignores case, so
// INTERNAL_ERROR and internal_error are one suggestion), deduplicated and
// sorted once, on the first unknown code: per catalog, and per source asked
// about. A reload brings a new catalog, and its spellings go with the old one.
const spellingsByCatalog = new WeakMap<Catalog, Map<string | undefined, readonly string[]>>()

function spellingsOf (catalog: Catalog, source: string | undefined): readonly string[] {
  let bySource = spellingsByCatalog.get(catalog)
  if (bySource === undefined) spellingsByCatalog.set(catalog, bySource = new Map())
  let spellings = bySource.get(source)
  if (spellings === undefined) {
    const unique = new Set<string>()
    for (const entry of catalog.allEntries) {
      // A pattern's code is a rule's name, such as *_NOT_FOUND, not a code anyone sends.
      if (entry.kind === 'pattern' || (source !== undefined && entry.source !== source)) continue
      unique.add(entry.code.toLowerCase())
    }
    spellings = Object.freeze([...unique].sort())
    bySource.set(source, spellings)
  }
  return spellings
}

/**
 * The nearest known codes to an unknown one, lowercased: spellings within an
 * edit distance that grows with its length, and spellings that begin with
 * it or that it begins with, which count as one edit. Nearest first, then in
 * code-unit order.
 */
export function suggest (code: string, catalog: Catalog, options: { source?: string | undefined } = {}): string[] {
  const source = options.source
  if (source !== undefined && !catalog.sources.has(source)) throw new UnknownSourceError(source, catalog.sourceIds)
  const query = code.toLowerCase()
  const limit = Math.max(2, Math.floor(query.length / 4))
  const scored: Array<{ spelling: string, score: number }> = []
  let longer = 0
  for (const spelling of spellingsOf(catalog, source)) {
    if (Math.abs(spelling.length - query.length) <= limit) {
      // No spelling of another length by more than the limit can be within it.
      const edits = distance(spelling, query)
      if (edits > limit) continue
      const related = spelling.startsWith(query) || query.startsWith(spelling)
      scored.push({ spelling, score: related ? Math.min(edits, 1) : edits })
    } else if (longer < SUGGESTION_COUNT && spelling.length > query.length && spelling.startsWith(query)) {
      // Longer spellings that begin with the query all score 1: the first few in order are enough.
      scored.push({ spelling, score: 1 })
      longer++
    }
  }
  return scored
    .sort((a, b) => a.score - b.score || byCodeUnits(a.spelling, b.spelling))
    .slice(0, SUGGESTION_COUNT)
    .map(({ spelling }) => spelling)
}

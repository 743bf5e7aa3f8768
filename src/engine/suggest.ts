// Suggestions for an unknown code: the nearest known spellings, by shared
// prefix and edit distance. The spellings are lowercased, deduplicated and
// sorted once per catalog, on its first unknown code, so that an unknown code
// costs a look at the spellings of about its length, not a pass over every
// entry that lowercases each one.
import { distance } from 'fastest-levenshtein'
import type { Catalog } from '../catalog/types.js'
import { UnknownSourceError } from './errors.js'

export const SUGGESTION_COUNT = 5

interface Spelling {
  /** A lowercased code: lookup ignores case, so INTERNAL_ERROR and internal_error are one suggestion. */
  text: string
  /** The sources that have a code of this spelling. */
  sources: readonly string[]
}

interface SuggestionIndex {
  /** Every spelling, in code-unit order: the spellings that begin with a query are a run of it. */
  sorted: readonly Spelling[]
  byLength: ReadonlyMap<number, readonly Spelling[]>
}

function byCodeUnits (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// Per catalog, built on first use: a reload brings a new catalog and drops the old index with it.
const indexes = new WeakMap<Catalog, SuggestionIndex>()

function indexOf (catalog: Catalog): SuggestionIndex {
  let index = indexes.get(catalog)
  if (index !== undefined) return index
  const sourcesBySpelling = new Map<string, string[]>()
  for (const entry of catalog.allEntries) {
    // A pattern's code is a rule's name, such as *_NOT_FOUND, not a code anyone sends.
    if (entry.kind === 'pattern') continue
    const text = entry.code.toLowerCase()
    const sources = sourcesBySpelling.get(text)
    if (sources === undefined) sourcesBySpelling.set(text, [entry.source])
    else if (!sources.includes(entry.source)) sources.push(entry.source)
  }
  const sorted = [...sourcesBySpelling].map(([text, sources]) => ({ text, sources })).sort((a, b) => byCodeUnits(a.text, b.text))
  const byLength = new Map<number, Spelling[]>()
  for (const spelling of sorted) {
    const list = byLength.get(spelling.text.length)
    if (list === undefined) byLength.set(spelling.text.length, [spelling])
    else list.push(spelling)
  }
  index = { sorted, byLength }
  indexes.set(catalog, index)
  return index
}

/** The first position in `sorted` whose spelling is not before `text`. */
function firstFrom (sorted: readonly Spelling[], text: string): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((sorted[middle] as Spelling).text < text) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * The nearest known codes to an unknown one, lowercased: spellings of about
 * its length within an edit distance that grows with its length, and
 * spellings that begin with it or that it begins with, which count as one
 * edit. Nearest first, then in code-unit order.
 */
export function suggest (code: string, catalog: Catalog, options: { source?: string | undefined } = {}): string[] {
  const source = options.source
  if (source !== undefined && !catalog.sources.has(source)) throw new UnknownSourceError(source, catalog.sourceIds)
  const usable = (spelling: Spelling): boolean => source === undefined || spelling.sources.includes(source)
  const { sorted, byLength } = indexOf(catalog)
  const query = code.toLowerCase()
  const limit = Math.max(2, Math.floor(query.length / 4))
  const scored: Array<{ text: string, score: number }> = []
  for (let length = Math.max(1, query.length - limit); length <= query.length + limit; length++) {
    for (const spelling of byLength.get(length) ?? []) {
      if (!usable(spelling)) continue
      const text = spelling.text
      const edits = distance(text, query)
      const score = text.startsWith(query) || query.startsWith(text) ? Math.min(edits, 1) : edits
      if (score <= limit) scored.push({ text, score })
    }
  }
  // Longer spellings that begin with the query all score 1, so only the first
  // few of them in order can make the list: no need to look at the rest.
  let longer = 0
  for (let i = firstFrom(sorted, query); i < sorted.length && longer < SUGGESTION_COUNT; i++) {
    const spelling = sorted[i] as Spelling
    if (!spelling.text.startsWith(query)) break
    if (spelling.text.length <= query.length + limit || !usable(spelling)) continue
    scored.push({ text: spelling.text, score: 1 })
    longer++
  }
  return scored
    .sort((a, b) => a.score - b.score || byCodeUnits(a.text, b.text))
    .slice(0, SUGGESTION_COUNT)
    .map(({ text }) => text)
}

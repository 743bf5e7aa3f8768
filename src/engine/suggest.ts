// Suggestions for an unknown code: the nearest known spellings, by shared
// prefix and edit distance. The spellings are lowercased, deduplicated and
// sorted once per catalog, on its first unknown code, so that an unknown code
// costs a look at the spellings of about its length, not a pass over every
// entry that lowercases each one; and a catalog of hundreds of thousands of
// codes is searched as a trie, not one spelling at a time.
import { distance } from 'fastest-levenshtein'
import type { Catalog } from '../catalog/types.js'
import { UnknownSourceError } from './errors.js'

export const SUGGESTION_COUNT = 5
/**
 * Spellings of one length are compared one by one up to this many, each in
 * well under a microsecond; more are walked as a trie, which skips whole runs
 * of far spellings but costs more per spelling it looks at.
 */
export const ONE_BY_ONE_LIMIT = 256

export interface Spelling {
  /** A lowercased code: lookup ignores case, so INTERNAL_ERROR and internal_error are one suggestion. */
  text: string
  /** The sources that have a code of this spelling. */
  sources: readonly string[]
}

/** A spelling and its edit distance to the query. */
export interface Near {
  spelling: Spelling
  edits: number
}

interface SuggestionIndex {
  /** Every spelling in code-unit order: the spellings that share a prefix are a run of it. */
  sorted: readonly Spelling[]
  /** The same, by length. */
  byLength: ReadonlyMap<number, readonly Spelling[]>
}

export function byCodeUnits (a: string, b: string): number {
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
  // The default sort compares strings by UTF-16 code units, as byCodeUnits does, and faster.
  const sorted = [...sourcesBySpelling.keys()].sort().map((text) => ({ text, sources: sourcesBySpelling.get(text) as string[] }))
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

/** True when `a` and `b` have the same first `length` characters. */
function samePrefix (a: string, b: string, length: number): boolean {
  for (let k = 0; k < length; k++) if (a.charCodeAt(k) !== b.charCodeAt(k)) return false
  return true
}

/** The first position after `start` whose spelling does not begin as `text` does for `length` characters. */
function endOfRun (sorted: readonly Spelling[], start: number, text: string, length: number): number {
  let low = start + 1
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (samePrefix((sorted[middle] as Spelling).text, text, length)) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * Adds to `found` every spelling within `limit` edits of `query`. It walks
 * the sorted spellings as a trie: a spelling reuses the rows of the edit
 * distance table it shares with the one before, and once a prefix is more
 * than `limit` edits from every beginning of the query, the whole run of
 * spellings with that prefix is skipped. So the work follows the spellings
 * near the query, not the size of the catalog.
 */
export function withinDistance (sorted: readonly Spelling[], query: string, limit: number, found: Near[] = []): Near[] {
  const width = query.length + 1
  const longest = query.length + limit
  const shortest = query.length - limit
  const wanted = Int32Array.from(query, (ch) => ch.charCodeAt(0))
  // rows[j * width + c]: edits between the first j characters of `previous` and the first c of the query.
  const rows = new Int32Array((longest + 1) * width)
  for (let c = 0; c < width; c++) rows[c] = c
  let previous = ''
  let valid = 0
  let i = 0
  while (i < sorted.length) {
    const spelling = sorted[i] as Spelling
    const text = spelling.text
    // Shorter than the query by more than the limit: too far, whatever its characters.
    if (text.length < shortest) {
      i++
      continue
    }
    let depth = 0
    const shared = Math.min(valid, text.length)
    while (depth < shared && previous.charCodeAt(depth) === text.charCodeAt(depth)) depth++
    previous = text
    let farFrom = 0
    for (let j = depth + 1; j <= text.length; j++) {
      // Longer than the query by more than the limit: too far, and so is every spelling that begins so.
      if (j > longest) {
        farFrom = j
        valid = j - 1
        break
      }
      const ch = text.charCodeAt(j - 1)
      const above = (j - 1) * width
      const here = j * width
      rows[here] = j
      let least = j
      for (let c = 1; c < width; c++) {
        let cell = (rows[above + c - 1] as number) + (wanted[c - 1] === ch ? 0 : 1)
        const deleted = (rows[above + c] as number) + 1
        const inserted = (rows[here + c - 1] as number) + 1
        if (deleted < cell) cell = deleted
        if (inserted < cell) cell = inserted
        rows[here + c] = cell
        if (cell < least) least = cell
      }
      if (least > limit) {
        farFrom = j
        valid = j
        break
      }
    }
    if (farFrom > 0) {
      i = endOfRun(sorted, i, text, farFrom)
      continue
    }
    valid = text.length
    const edits = rows[text.length * width + query.length] as number
    if (edits <= limit) found.push({ spelling, edits })
    i++
  }
  return found
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
  // Only spellings of about the query's length can be within the limit.
  const near: Near[] = []
  for (let length = Math.max(1, query.length - limit); length <= query.length + limit; length++) {
    const spellings = byLength.get(length)
    if (spellings === undefined) continue
    if (spellings.length > ONE_BY_ONE_LIMIT) {
      withinDistance(spellings, query, limit, near)
      continue
    }
    for (const spelling of spellings) {
      const edits = distance(spelling.text, query)
      if (edits <= limit) near.push({ spelling, edits })
    }
  }
  const scored: Array<{ text: string, score: number }> = []
  for (const { spelling, edits } of near) {
    if (!usable(spelling)) continue
    const text = spelling.text
    // A spelling that begins with the query, or that the query begins with, is one edit away at most.
    scored.push({ text, score: text.startsWith(query) || query.startsWith(text) ? Math.min(edits, 1) : edits })
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

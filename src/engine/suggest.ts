// Suggestions for an unknown code: the nearest known spellings, by shared
// prefix and edit distance. The spellings are lowercased, deduplicated and
// sorted once per catalog (and per source asked about), on the first unknown
// code, so that an unknown code costs a look at the spellings of about its
// length, not a pass over every entry that lowercases each one; and a catalog
// of hundreds of thousands of codes is searched as a trie, not one spelling at
// a time.
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

/** A known spelling (a lowercased code) and its edit distance to the query. */
export interface Near {
  spelling: string
  edits: number
}

interface SuggestionIndex {
  /**
   * Every spelling, lowercased (lookup ignores case, so INTERNAL_ERROR and
   * internal_error are one suggestion), in UTF-16 code-unit order: the
   * spellings that share a prefix are a run of it.
   */
  sorted: readonly string[]
  /** The same, by length. */
  byLength: ReadonlyMap<number, readonly string[]>
}

export function byCodeUnits (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

// Per catalog, built on first use: a reload brings a new catalog and drops its
// indexes with the old one. One index for every source, and one per source
// asked about, so that a source's suggestions never skip other sources' spellings.
const indexes = new WeakMap<Catalog, Map<string | undefined, SuggestionIndex>>()

function indexOf (catalog: Catalog, source: string | undefined): SuggestionIndex {
  let bySource = indexes.get(catalog)
  if (bySource === undefined) {
    bySource = new Map()
    indexes.set(catalog, bySource)
  }
  let index = bySource.get(source)
  if (index !== undefined) return index
  const spellings = new Set<string>()
  for (const entry of catalog.allEntries) {
    // A pattern's code is a rule's name, such as *_NOT_FOUND, not a code anyone sends.
    if (entry.kind === 'pattern' || (source !== undefined && entry.source !== source)) continue
    spellings.add(entry.code.toLowerCase())
  }
  // The default sort compares strings by UTF-16 code units, as byCodeUnits does, and faster.
  const sorted = [...spellings].sort()
  const byLength = new Map<number, string[]>()
  for (const spelling of sorted) {
    const list = byLength.get(spelling.length)
    if (list === undefined) byLength.set(spelling.length, [spelling])
    else list.push(spelling)
  }
  index = { sorted, byLength }
  bySource.set(source, index)
  return index
}

/** True when `a` and `b` have the same first `length` UTF-16 code units. */
function samePrefix (a: string, b: string, length: number): boolean {
  for (let k = 0; k < length; k++) if (a.charCodeAt(k) !== b.charCodeAt(k)) return false
  return true
}

/** The first position after `start` whose spelling does not begin as `text` does for `length` code units. */
function endOfRun (sorted: readonly string[], start: number, text: string, length: number): number {
  let low = start + 1
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (samePrefix(sorted[middle] as string, text, length)) low = middle + 1
    else high = middle
  }
  return low
}

/**
 * Adds to `found` every spelling of `sorted` (in code-unit order) within
 * `limit` edits of `query`, counted in UTF-16 code units as fastest-levenshtein
 * counts them. It walks the spellings as a trie: a spelling reuses the rows of
 * the edit distance table it shares with the one before, and once a prefix is
 * more than `limit` edits from every beginning of the query, the whole run of
 * spellings with that prefix is skipped. So the work follows the spellings
 * near the query, not the size of the catalog.
 */
export function withinDistance (sorted: readonly string[], query: string, limit: number, found: Near[] = []): Near[] {
  const width = query.length + 1
  const longest = query.length + limit
  const shortest = query.length - limit
  const wanted = Int32Array.from({ length: query.length }, (_, k) => query.charCodeAt(k))
  // rows[j * width + c]: edits between the first j code units of `previous` and the first c of the query.
  const rows = new Int32Array((longest + 1) * width)
  for (let c = 0; c < width; c++) rows[c] = c
  let previous = ''
  let valid = 0
  let i = 0
  while (i < sorted.length) {
    const text = sorted[i] as string
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
    if (edits <= limit) found.push({ spelling: text, edits })
    i++
  }
  return found
}

/** The first position in `sorted` whose spelling is not before `text`. */
function firstFrom (sorted: readonly string[], text: string): number {
  let low = 0
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if ((sorted[middle] as string) < text) low = middle + 1
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
  const { sorted, byLength } = indexOf(catalog, source)
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
      const edits = distance(spelling, query)
      if (edits <= limit) near.push({ spelling, edits })
    }
  }
  const scored = near.map(({ spelling, edits }) => ({
    spelling,
    // A spelling that begins with the query, or that the query begins with, is one edit away at most.
    score: spelling.startsWith(query) || query.startsWith(spelling) ? Math.min(edits, 1) : edits
  }))
  // Longer spellings that begin with the query all score 1, so only the first
  // few of them in order can make the list: no need to look at the rest.
  let longer = 0
  for (let i = firstFrom(sorted, query); i < sorted.length && longer < SUGGESTION_COUNT; i++) {
    const spelling = sorted[i] as string
    if (!spelling.startsWith(query)) break
    if (spelling.length <= query.length + limit) continue
    scored.push({ spelling, score: 1 })
    longer++
  }
  return scored
    .sort((a, b) => a.score - b.score || byCodeUnits(a.spelling, b.spelling))
    .slice(0, SUGGESTION_COUNT)
    .map(({ spelling }) => spelling)
}

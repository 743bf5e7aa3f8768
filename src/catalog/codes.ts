// Codes and types ignoring case, without a second index of every name. A name
// spelled all in lowercase or all in uppercase (every one in the real catalog
// is) is found in its exact index under the query lowercased, or that
// uppercased; only mixed-case spellings, such as `Throttled`, need an index of
// their own. (At 1000 times the real catalog, an index of every lowercased
// code took a tenth of the boot.) Within one source, the lowercase spelling
// comes first, then the uppercase one, then mixed-case ones in file order.
import type { Catalog, Entry, SourceIndex } from './types.js'

/**
 * True for a spelling that is neither its own lowercase nor the uppercase of
 * its lowercase: the ones the exact index cannot find from a query. (Some
 * letters, such as the Kelvin sign, are their own uppercase but not the
 * uppercase of their lowercase.)
 */
export function isMixedCase (code: string): boolean {
  const lower = code.toLowerCase()
  return code !== lower && code !== lower.toUpperCase()
}

/**
 * Adds to `found` the entries of one exact index (a source's byCode or byType)
 * whose name equals the query ignoring case: the lowercase spelling, the
 * uppercase one, then mixed-case ones in file order. `lower` is the query
 * lowercased, `upper` that uppercased; `mixedCase` holds the index's
 * mixed-case names by lowercased name.
 */
export function addIgnoringCase (
  exact: ReadonlyMap<string, Entry>, mixedCase: ReadonlyMap<string, readonly Entry[]>, lower: string, upper: string, found: Entry[]
): Entry[] {
  const lowercase = exact.get(lower)
  if (lowercase !== undefined) found.push(lowercase)
  if (upper !== lower) {
    const uppercase = exact.get(upper)
    // Uppercasing is not always undone by lowercasing: "ß" becomes "SS", which is "ss" again.
    if (uppercase !== undefined && uppercase.code.toLowerCase() === lower) found.push(uppercase)
  }
  const mixed = mixedCase.get(lower)
  if (mixed !== undefined) found.push(...mixed)
  return found
}

/** Code-like entries of the sources (every source by default) whose code equals `code` ignoring case, in source order. */
export function codesIgnoringCase (catalog: Catalog, code: string, sources: readonly SourceIndex[] = catalog.sourceList): Entry[] {
  const lower = code.toLowerCase()
  const upper = lower.toUpperCase()
  const found: Entry[] = []
  for (const index of sources) addIgnoringCase(index.byCode, index.mixedCaseCodes, lower, upper, found)
  return found
}

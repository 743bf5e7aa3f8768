// Codes ignoring case, across sources.
import type { Catalog, Entry, SourceIndex } from './types.js'

/** Code-like entries of the sources (every source by default) whose code equals `code` ignoring case, in source order. */
export function codesIgnoringCase (catalog: Catalog, code: string, sources: readonly SourceIndex[] = catalog.sourceList): Entry[] {
  const lower = code.toLowerCase()
  const found: Entry[] = []
  for (const index of sources) {
    const spellings = index.byLowerCode.get(lower)
    if (spellings !== undefined) found.push(...spellings)
  }
  return found
}

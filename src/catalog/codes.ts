// Codes ignoring case, across sources.
import type { Catalog, Entry, SourceIndex } from './types.js'

/** A code's words in lower snake_case, as the taxonomy's common codes are written: RateLimit-Exceeded is rate_limit_exceeded. */
export function codeWords (code: string): string {
  return code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '')
}

/** True for a code many systems send, which names no source by itself. */
export function isCommonCode (catalog: Catalog, code: string): boolean {
  return catalog.commonCodes.has(codeWords(code))
}

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

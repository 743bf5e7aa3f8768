// errcat as a library: the same engine the service runs, in-process, with no
// HTTP server in it (the service is errcat/server).
//
//   import { loadCatalog, classify } from 'errcat'
//   const catalog = await loadCatalog()
//   const result = classify({ status: 429, body, headers: { 'retry-after': '3' } }, catalog)
import { loadCatalog as loadCatalogFrom } from './catalog/load.js'
import { BUNDLED_CATALOG_DIR } from './catalog/paths.js'
import type { Catalog } from './catalog/types.js'

/** Loads and validates a catalog directory; the bundled catalog by default. */
export async function loadCatalog (dir: string = BUNDLED_CATALOG_DIR): Promise<Catalog> {
  return await loadCatalogFrom(dir)
}

export { classify } from './engine/classify.js'
export type { ClassifyInput, ClassifyOptions } from './engine/classify.js'
export { lookup, search, suggest } from './engine/lookup.js'
export type { LookupOptions, SearchQuery } from './engine/lookup.js'
export { Classification, LookupResult, MatchedBy, RetryAdvice, SearchResult } from './engine/schemas.js'
export { UnknownSourceError } from './engine/errors.js'
export { DEFAULT_MAX_RETRY_AFTER_S, MESSAGE_LIMIT } from './engine/limits.js'
export type { HeadersLike } from './engine/headers.js'
export { CatalogError } from './catalog/load.js'
export type { Catalog } from './catalog/types.js'
export { Entry, NORMALIZED_CODES, NormalizedCode, Remediation, RetryPolicy, Source, TaxonomyCode } from './catalog/schema.js'
export type { EntryKind } from './catalog/schema.js'
export { BUNDLED_CATALOG_DIR } from './catalog/paths.js'

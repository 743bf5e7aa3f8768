// errcat as a library: the same engine the service runs, in-process.
//
//   import { loadCatalog, classify } from 'errcat'
//   const catalog = await loadCatalog()
//   const result = classify({ status: 429, body, headers: { 'retry-after': '3' } }, catalog)
import { loadCatalog as loadCatalogFrom } from './catalog/load.js'
import type { Catalog } from './catalog/types.js'
import { BUNDLED_CATALOG_DIR } from './paths.js'

/** Loads and validates a catalog directory; the bundled catalog by default. */
export async function loadCatalog (dir: string = BUNDLED_CATALOG_DIR): Promise<Catalog> {
  return await loadCatalogFrom(dir)
}

export { classify, DEFAULT_MAX_RETRY_AFTER_S, MESSAGE_LIMIT } from './engine/classify.js'
export type { Classification, ClassifyInput, ClassifyOptions, MatchedBy } from './engine/classify.js'
export { lookup, search, suggest } from './engine/lookup.js'
export type { LookupOptions, LookupResult, SearchQuery, SearchResult } from './engine/lookup.js'
export type { RetryAdvice } from './engine/retry.js'
export { UnknownSourceError } from './engine/errors.js'
export { CatalogError } from './catalog/load.js'
export type { Catalog, Entry, EntryKind, SourceInfo, TaxonomyCode } from './catalog/types.js'
export type { NormalizedCode, RetryPolicy, Remediation } from './catalog/schema.js'
export { NORMALIZED_CODES } from './catalog/schema.js'
export { buildApp } from './app.js'
export type { BuildAppOptions } from './app.js'
export { BUNDLED_CATALOG_DIR } from './paths.js'

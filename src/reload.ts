// Catalog reload (SIGHUP): re-read CATALOG_DIR, validate it fully, and swap it
// in atomically. A catalog that fails validation is refused and the last good
// one keeps serving, as NGINX and Envoy do with their configuration.
import type { FastifyInstance } from 'fastify'
import { CatalogError } from './catalog/load.js'
import type { ReloadResult } from './catalog/store.js'

export async function reloadCatalog (app: FastifyInstance): Promise<ReloadResult> {
  const result = await app.catalogStore.reload(app.config.CATALOG_DIR)
  if (result.ok) {
    app.metrics.reloaded('success')
    app.metrics.catalogLoaded(result.catalog)
    app.log.info({ catalog_version: result.catalog.version, entries: result.catalog.allEntries.length }, 'catalog reloaded')
  } else {
    app.metrics.reloaded('failure')
    const where = result.error instanceof CatalogError
      ? { file: result.error.file, entry: result.error.entry, field: result.error.field }
      : {}
    app.log.error({ ...where, reason: result.error.message, catalog_version: app.catalogStore.current.version },
      'catalog reload refused; the last good catalog keeps serving')
  }
  return result
}

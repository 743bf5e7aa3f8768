// The catalog in service, and its reload (SIGHUP): re-read the directory,
// validate it fully, and swap it in atomically. A catalog that fails
// validation is refused and the last good one keeps serving, as NGINX and
// Envoy do with their configuration.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CatalogError } from '../catalog/load.js'
import type { CatalogStore, ReloadResult } from '../catalog/store.js'
import './metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalogStore: CatalogStore
    /** Re-reads the catalog directory and swaps it in if valid; else keeps the last good catalog. */
    reloadCatalog: () => Promise<ReloadResult>
  }
}

export interface ReloadOptions {
  store: CatalogStore
  /** The directory a reload reads. */
  dir: string
}

async function reload (app: FastifyInstance, options: ReloadOptions): Promise<void> {
  const { store, dir } = options
  app.decorate('catalogStore', store)
  app.decorate('reloadCatalog', async () => {
    const result = await store.reload(dir)
    if (result.ok) {
      app.metrics.catalogReloads.inc({ result: 'success' })
      app.log.info({ catalog_version: result.catalog.version, entries: result.catalog.allEntries.length }, 'catalog reloaded')
    } else {
      app.metrics.catalogReloads.inc({ result: 'failure' })
      const where = result.error instanceof CatalogError
        ? { file: result.error.file, entry: result.error.entry, field: result.error.field }
        : {}
      app.log.error({ ...where, reason: result.error.message, catalog_version: store.current.version },
        'catalog reload refused; the last good catalog keeps serving')
    }
    return result
  })
}

export default fp(reload, { name: 'catalog-reload', dependencies: ['metrics'] })

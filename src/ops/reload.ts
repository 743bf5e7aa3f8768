// The catalog in service, and its reload (SIGHUP): re-read the directory,
// validate it fully, and swap it in atomically. A catalog that fails
// validation, or that would drop a source unless allowed, is refused and the
// last good one keeps serving, as NGINX and Envoy do with their configuration.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { CatalogError } from '../catalog/load.js'
import { loadCatalogOffThread } from '../catalog/off-thread.js'
import type { CatalogStore, ReloadResult } from '../catalog/store.js'
import type { Catalog } from '../catalog/types.js'
import type { LastReload } from '../http/routes/health.js'
import './metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    catalogStore: CatalogStore
    /** Re-reads the catalog directory and swaps it in if valid; else keeps the last good catalog. */
    reloadCatalog: () => Promise<ReloadResult>
    /** The last reload's outcome, or null before any. */
    lastReload: LastReload | null
  }
}

export interface ReloadOptions {
  store: CatalogStore
  /** The directory a reload reads. */
  dir: string
  /** Whether a reload may drop a source whose file is gone (CATALOG_ALLOW_SOURCE_REMOVAL). */
  allowSourceRemoval: boolean
  /** The largest catalog file a reload reads (CATALOG_FILE_LIMIT_BYTES). */
  maxFileBytes: number
}

/**
 * How long a reload may spend reading and validating the files, in its worker
 * thread, before it is refused: a file on a hung network mount never holds the
 * reload, or the next one, forever.
 */
export const RELOAD_TIMEOUT_MS = 30_000

/** The longest refusal reason /readyz repeats. */
const REASON_LIMIT = 500

export class SourceRemovalError extends Error {
  override name = 'SourceRemovalError'
}

/**
 * A file deleted by mistake would otherwise reload "successfully" and drop a
 * whole platform's knowledge in silence.
 */
function keepsEverySource (allowed: boolean) {
  return (next: { sourceIds: readonly string[] }, current: { sourceIds: readonly string[] }): void => {
    if (allowed) return
    const dropped = current.sourceIds.filter((id) => !next.sourceIds.includes(id))
    if (dropped.length === 0) return
    throw new SourceRemovalError(`the reload would drop the source${dropped.length === 1 ? '' : 's'} ${dropped.join(', ')}, ` +
      'whose file is gone; set CATALOG_ALLOW_SOURCE_REMOVAL=1 to allow it')
  }
}

async function reload (app: FastifyInstance, options: ReloadOptions): Promise<void> {
  const { store, dir, maxFileBytes } = options
  const accept = keepsEverySource(options.allowSourceRemoval)
  // Closing abandons a reload in progress: shutdown never waits on one.
  const closing = new AbortController()
  app.addHook('onClose', async () => { closing.abort() })
  const load = async (): Promise<Catalog> => await loadCatalogOffThread(dir, { maxFileBytes, timeoutMs: RELOAD_TIMEOUT_MS, signal: closing.signal })
  app.decorate('catalogStore', store)
  app.decorate('lastReload', null)
  app.decorate('reloadCatalog', async () => {
    const result = await store.reload(load, accept)
    app.lastReload = result.ok
      ? { result: 'success', at: new Date().toISOString() }
      : { result: 'failure', at: new Date().toISOString(), reason: result.error.message.slice(0, REASON_LIMIT) }
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

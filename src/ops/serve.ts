// Starting the service as a process: read config, load the catalog, listen,
// and shut down gracefully. src/main.ts and `errcat serve` both run this;
// everything else lives in buildApp.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { loadCatalog, CatalogError } from '../catalog/load.js'
import { buildApp } from './app.js'
import { loadConfig, ConfigError } from './config.js'
import { shutdown } from './lifecycle.js'
import './reload.js'

/** close-with-grace exits 1 if shutdown takes longer than this; ours ends well before. */
const SHUTDOWN_DEADLINE_MS = 4500

export interface StartOptions {
  /** Where the config is read from; process.env by default. */
  env?: NodeJS.ProcessEnv
  /** Overrides CATALOG_DIR, for the first load and for SIGHUP reloads alike. */
  catalogDir?: string | undefined
}

/**
 * Reads the config, loads the catalog, installs the SIGTERM/SIGINT shutdown
 * and the SIGHUP reload, and listens. Throws a ConfigError or a CatalogError
 * before anything is installed when either is invalid.
 */
export async function startService (options: StartOptions = {}): Promise<FastifyInstance> {
  const loaded = loadConfig(options.env)
  const config = options.catalogDir === undefined ? loaded : { ...loaded, CATALOG_DIR: options.catalogDir }
  const catalog = await loadCatalog(config.CATALOG_DIR)

  const app = await buildApp({ config, catalog })
  // SIGHUP reloads the catalog (below); close-with-grace would otherwise treat it as a stop signal.
  closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS, skip: ['SIGHUP'] }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await shutdown(app)
  })
  process.on('SIGHUP', () => { app.reloadCatalog().catch((err: unknown) => app.log.error({ err }, 'catalog reload failed')) })
  await app.listen({ port: config.PORT, host: config.HOST })
  return app
}

/** The process entry point: as startService, but a bad config or catalog ends the process with one line and exit code 1. */
export async function serve (): Promise<void> {
  try {
    await startService()
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CatalogError) {
      process.stderr.write(`errcat: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

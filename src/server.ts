// The process entry point: read config, load the catalog, listen, and shut
// down gracefully. Everything else lives in buildApp.
import closeWithGrace from 'close-with-grace'
import { buildApp } from './app.js'
import { loadConfig, ConfigError } from './config.js'
import { loadCatalog, CatalogError } from './catalog/load.js'
import { shutdown } from './lifecycle.js'

/** close-with-grace exits 1 if shutdown takes longer than this; ours ends well before. */
const SHUTDOWN_DEADLINE_MS = 4500

async function main (): Promise<void> {
  let config, catalog
  try {
    config = loadConfig()
    catalog = await loadCatalog(config.CATALOG_DIR)
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CatalogError) {
      process.stderr.write(`errcat: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }

  const app = await buildApp({ config, catalog })
  closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
    else app.log.info({ signal }, 'shutting down')
    await shutdown(app)
  })
  process.on('SIGHUP', () => { app.reloadCatalog().catch((err: unknown) => app.log.error({ err }, 'catalog reload failed')) })
  await app.listen({ port: config.PORT, host: config.HOST })
}

await main()

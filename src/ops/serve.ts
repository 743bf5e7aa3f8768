// Starting the service as a process: read config, load the catalog, listen,
// and shut down gracefully. src/main.ts and `errcat serve` both run this;
// everything else lives in buildApp.
import closeWithGrace from 'close-with-grace'
import type { FastifyInstance } from 'fastify'
import { loadCatalog, CatalogError } from '../catalog/load.js'
import type { Catalog } from '../catalog/types.js'
import { buildApp } from './app.js'
import { loadConfig, ConfigError } from './config.js'
import { shutdown, watchLauncher } from './lifecycle.js'
import { settleWhenIdle } from './memory.js'
import './reload.js'

/** close-with-grace exits 1 if shutdown takes longer than this; ours ends well before. */
const SHUTDOWN_DEADLINE_MS = 4500

/**
 * Under `npm start`, a Ctrl-C reaches the server twice: from the terminal, and
 * relayed by npm a moment later. A second SIGINT this soon is that echo; a
 * later one is a person who wants out at once.
 */
const RELAYED_SIGINT_WINDOW_MS = 500

export interface StartOptions {
  /** Where the config is read from; process.env by default. */
  env?: NodeJS.ProcessEnv
  /** Overrides CATALOG_DIR, for the first load and for SIGHUP reloads alike. */
  catalogDir?: string | undefined
}

const toMb = (bytes: number): number => Math.round(bytes / 2 ** 20)

/** A failure to listen a person can act on, such as a port already in use. */
export class ListenError extends Error {}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'is already in use; stop what holds it or set PORT to another port',
  EACCES: 'may not be opened by this user; set PORT to a port above 1023',
  EADDRNOTAVAIL: 'is not an address of this machine; set HOST to one of its addresses, or 0.0.0.0',
  ENOTFOUND: 'does not resolve; set HOST to an address or a name this machine resolves'
}

function listenError (error: unknown, host: string, port: number): Error {
  const code = (error as NodeJS.ErrnoException).code
  const advice = code === undefined ? undefined : LISTEN_ERRORS[code]
  if (advice === undefined) return error as Error
  const where = code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' ? `HOST ${host}` : `port ${port} on ${host}`
  return new ListenError(`cannot listen: ${where} ${advice} (${code})`)
}

/** The startup line: where errcat listens, what it serves, and where its docs are. */
export function startupLine (address: string, catalog: Catalog): string {
  return `errcat listening on ${address}, catalog ${catalog.version} ` +
    `(${catalog.allEntries.length} entries from ${catalog.sourceIds.length} sources); docs at ${address}/docs/`
}

/**
 * Reads the config, loads the catalog, installs the SIGTERM/SIGINT shutdown
 * and the SIGHUP reload, and listens. Throws a ConfigError or a CatalogError
 * before anything is installed when either is invalid, and a ListenError when
 * the address cannot be taken.
 */
export async function startService (options: StartOptions = {}): Promise<FastifyInstance> {
  const env = options.env ?? process.env
  const loaded = loadConfig(env)
  const config = options.catalogDir === undefined ? loaded : { ...loaded, CATALOG_DIR: options.catalogDir }
  const catalog = await loadCatalog(config.CATALOG_DIR, { maxFileBytes: config.CATALOG_FILE_LIMIT_BYTES })

  const app = await buildApp({ config, catalog })
  // SIGHUP reloads the catalog and SIGINT is handled below; close-with-grace would treat either as a stop signal.
  let interruptedAt: number | undefined
  const closeListeners = closeWithGrace({ delay: SHUTDOWN_DEADLINE_MS, skip: ['SIGHUP', 'SIGINT'] }, async ({ signal, err }) => {
    if (err !== undefined) app.log.error({ err }, 'shutting down after an uncaught error')
    else app.log.info({ signal: signal ?? (interruptedAt === undefined ? undefined : 'SIGINT') }, 'shutting down')
    await shutdown(app)
  })
  const interrupt = (): void => {
    if (interruptedAt === undefined) {
      interruptedAt = Date.now()
      closeListeners.close()
    } else if (Date.now() - interruptedAt > RELAYED_SIGINT_WINDOW_MS) {
      app.log.error({ signal: 'SIGINT' }, 'second SIGINT: exiting at once')
      process.exit(1)
    }
  }
  process.on('SIGINT', interrupt)
  const reload = (): void => { app.reloadCatalog().catch((err: unknown) => app.log.error({ err }, 'catalog reload failed')) }
  process.on('SIGHUP', reload)
  // npm relays SIGINT and SIGTERM to the server but dies of SIGHUP: without npm, the server would hold the port unseen.
  const stopWatching = env.npm_lifecycle_event === undefined
    ? () => {}
    : watchLauncher(() => {
      app.log.warn('npm, which started errcat, has exited: shutting down')
      process.kill(process.pid, 'SIGTERM')
    })
  const memory = settleWhenIdle({
    onSettled: ({ rssBefore, rssAfter, heapAfter }) => {
      app.log.debug({ rss_before_mb: toMb(rssBefore), rss_after_mb: toMb(rssAfter), heap_after_mb: toMb(heapAfter) }, 'memory handed back')
    }
  })
  app.addHook('onClose', async () => {
    stopWatching()
    memory.stop()
  })
  let announced = false
  try {
    await app.ready()
    // What booting grew and left as garbage is handed back before the first request.
    await memory.settle()
    await app.listen({
      port: config.PORT,
      host: config.HOST,
      // Fastify names each address of a wildcard host: the first line is the full one.
      listenTextResolver: (address) => {
        const line = announced ? `errcat also listening on ${address}` : startupLine(address, catalog)
        announced = true
        return line
      }
    })
  } catch (error) {
    closeListeners.uninstall()
    process.removeListener('SIGHUP', reload)
    process.removeListener('SIGINT', interrupt)
    await app.close()
    throw listenError(error, config.HOST, config.PORT)
  }
  return app
}

/** The process entry point: as startService, but a bad config, catalog or address ends the process with one line and exit code 1. */
export async function serve (): Promise<void> {
  try {
    await startService()
  } catch (error) {
    if (error instanceof ConfigError || error instanceof CatalogError || error instanceof ListenError) {
      process.stderr.write(`errcat: ${error.message}\n`)
      process.exit(1)
    }
    throw error
  }
}

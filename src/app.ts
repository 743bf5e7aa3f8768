// The application factory: builds errcat without listening, so tests use
// app.inject and src/server.ts only listens and shuts down.
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import pino, { type DestinationStream } from 'pino'
import { loadConfig, type Config } from './config.js'
import { loadCatalog } from './catalog/load.js'
import { CatalogStore } from './catalog/store.js'
import type { Catalog } from './catalog/types.js'
import { requestIdFor } from './request-id.js'
import { BODY_LIMIT_BYTES } from './limits.js'
import { sharedSchemas } from './schemas.js'
import problemHandling, { frameworkErrors, MAX_PARAM_LENGTH } from './plugins/problem-handling.js'
import requestContext from './plugins/request-context.js'
import metrics from './plugins/metrics.js'
import loadShedding, { type LoadSheddingOptions } from './plugins/load-shedding.js'
import { reloadCatalog } from './reload.js'
import type { ReloadResult } from './catalog/store.js'
import { ErrcatLogController, requestLogger } from './logging.js'
import openapi from './openapi.js'
import healthRoutes from './routes/health.js'
import codesRoutes from './routes/codes.js'
import catalogRoutes from './routes/catalog.js'
import classifyRoutes from './routes/classify.js'

export interface Lifecycle {
  /** True from the moment shutdown begins: readiness fails and connections are closed after each answer. */
  draining: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
    catalogStore: CatalogStore
    lifecycle: Lifecycle
    /** Re-reads CATALOG_DIR and swaps it in if valid; else keeps the last good catalog. */
    reloadCatalog: () => Promise<ReloadResult>
  }
}

export interface BuildAppOptions {
  /** Defaults to the environment's config. */
  config?: Config
  /** A catalog already loaded; else the app loads config.CATALOG_DIR. */
  catalog?: Catalog
  /** Where log lines go; defaults to stdout (pretty when stdout is a terminal). */
  logStream?: DestinationStream
  /** Load-shedding thresholds; default from config.SHED_EVENT_LOOP_DELAY_MS. */
  loadShedding?: LoadSheddingOptions
}

// Timeouts (see README, "Timeouts"). errcat answers in milliseconds, so a
// request that takes seconds to arrive is slow-loris traffic, while idle
// keep-alive connections from gateways are welcome and kept longer than
// common load-balancer idle timeouts (60 s), so errcat never closes a
// connection that a gateway is about to reuse.
export const REQUEST_TIMEOUT_MS = 10_000
export const CONNECTION_TIMEOUT_MS = 15_000
export const KEEP_ALIVE_TIMEOUT_MS = 72_000

function loggerOptions (config: Config, logStream: DestinationStream | undefined): FastifyServerOptions['logger'] {
  const base = { level: config.LOG_LEVEL }
  if (logStream !== undefined) return { ...base, stream: logStream }
  if (process.stdout.isTTY === true) return { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
  // Synchronous writes: pino's default asynchronous stdout re-measures its
  // pending buffer on every line (sonic-boom), which the benchmark measured
  // at up to a sixth of the CPU under load.
  return { ...base, stream: pino.destination({ dest: 1, sync: true }) }
}

export async function buildApp (options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig()
  const catalog = options.catalog ?? await loadCatalog(config.CATALOG_DIR)

  const app = Fastify({
    logger: loggerOptions(config, options.logStream),
    genReqId: requestIdFor,
    requestIdHeader: false,
    logController: new ErrcatLogController(),
    childLoggerFactory: requestLogger,
    bodyLimit: BODY_LIMIT_BYTES,
    requestTimeout: REQUEST_TIMEOUT_MS,
    connectionTimeout: CONNECTION_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors,
    trustProxy: false
  }).withTypeProvider<TypeBoxTypeProvider>()

  app.decorate('config', config)
  app.decorate('catalogStore', new CatalogStore(catalog))
  app.decorate('lifecycle', { draining: false })
  app.decorate('reloadCatalog', () => reloadCatalog(app))
  for (const schema of sharedSchemas) app.addSchema(schema)

  // Cross-cutting plugins first, then routes, in this visible order.
  await app.register(problemHandling)
  await app.register(requestContext)
  await app.register(loadShedding, options.loadShedding ?? { maxEventLoopDelayMs: config.SHED_EVENT_LOOP_DELAY_MS })

  // OpenAPI first: it records every route registered after it.
  await app.register(openapi)
  await app.register(metrics)
  await app.register(healthRoutes)
  await app.register(codesRoutes)
  await app.register(catalogRoutes)
  await app.register(classifyRoutes)

  return app
}

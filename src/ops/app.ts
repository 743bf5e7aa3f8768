// The application factory: builds errcat without listening, so tests use
// app.inject and the server only listens and shuts down. Cross-cutting
// plugins first, then the routes, in this visible order.
import type { Duplex } from 'node:stream'
import Fastify, { type FastifyInstance } from 'fastify'
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { DestinationStream } from 'pino'
import { loadCatalog } from '../catalog/load.js'
import { CatalogStore } from '../catalog/store.js'
import type { Catalog } from '../catalog/types.js'
import { BODY_LIMIT_BYTES, CODE_LENGTH_LIMIT } from '../engine/limits.js'
import { methodNotAllowed } from '../http/method-not-allowed.js'
import problemHandling, { answerClientError, answerConnect, frameworkErrors } from '../http/problem-handling.js'
import type { Problem } from '../http/problems.js'
import requestContext from '../http/request-context.js'
import { requestIdFor } from '../http/request-id.js'
import { sharedSchemas } from '../http/schemas.js'
import openapi from '../http/openapi.js'
import healthRoutes from '../http/routes/health.js'
import rootRoute from '../http/routes/root.js'
import codesRoutes from '../http/routes/codes.js'
import catalogRoutes from '../http/routes/catalog.js'
import classifyRoutes from '../http/routes/classify.js'
import { loadConfig, type Config } from './config.js'
import { CLIENT_ERROR_ROUTE, loggerOptions } from './logging.js'
import lifecycle from './lifecycle.js'
import loadShedding, { type LoadSheddingOptions } from './load-shedding.js'
import metrics from './metrics.js'
import { createServerWithBackPressure, PIPELINE_LIMIT } from './pipelining.js'
import reload from './reload.js'

declare module 'fastify' {
  interface FastifyInstance {
    config: Config
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

// errcat answers in milliseconds, so a request that takes seconds to arrive is
// slow-loris traffic, while idle keep-alive connections from gateways are
// welcome and kept longer than common load-balancer idle timeouts (60 s), so
// errcat never closes a connection that a gateway is about to reuse.
export const REQUEST_TIMEOUT_MS = 10_000
export const CONNECTION_TIMEOUT_MS = 15_000
export const KEEP_ALIVE_TIMEOUT_MS = 72_000

export async function buildApp (options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const config = options.config ?? loadConfig()
  const store = new CatalogStore(options.catalog ?? await loadCatalog(config.CATALOG_DIR, { maxFileBytes: config.CATALOG_FILE_LIMIT_BYTES }))
  const currentCatalog = (): Catalog => store.current

  const app = Fastify({
    ...loggerOptions({ level: config.LOG_LEVEL, stream: options.logStream }),
    genReqId: requestIdFor,
    requestIdHeader: false,
    bodyLimit: BODY_LIMIT_BYTES,
    serverFactory (handler) {
      const server = createServerWithBackPressure(handler, {
        // Node checks request deadlines every connectionsCheckingInterval (30 s by
        // default): each second instead, so a request, body included, that has not
        // arrived within REQUEST_TIMEOUT_MS is cut then. Both deadlines are given to
        // the server as it is created, so Node never adjusts one to the other.
        http: {
          requestTimeout: REQUEST_TIMEOUT_MS,
          headersTimeout: REQUEST_TIMEOUT_MS,
          connectionsCheckingInterval: 1000,
          keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
          // A request without Host is answered by the problem handling, not with Node's empty 400.
          requireHostHeader: false
        },
        // Called only once a connection is open, when the app exists.
        onClose: () => { app.log.warn({ unanswered: PIPELINE_LIMIT }, 'closing a connection whose client does not read its answers') }
      })
      server.setTimeout(CONNECTION_TIMEOUT_MS)
      // Node closes a CONNECT request's socket without a word unless someone answers it.
      server.on('connect', (_request, socket: Duplex) => { recordClientError(answerConnect(socket)) })
      // An expectation other than 100-continue is ignored, as RFC 9110 allows and
      // nginx does, instead of Node's empty 417.
      server.on('checkExpectation', (request, response) => server.emit('request', request, response))
      return server
    },
    routerOptions: { maxParamLength: CODE_LENGTH_LIMIT },
    frameworkErrors,
    clientErrorHandler (error, socket) { recordClientError(answerClientError(error, socket)) },
    trustProxy: false,
    // A request that arrives while errcat drains gets its real answer (with
    // Connection: close), not Fastify's bare 503 without a problem or a request id.
    return503OnClosing: false
  }).withTypeProvider<TypeBoxTypeProvider>()

  // Counts and logs an answer written below Fastify's routing. Called only once
  // a connection is open, when the app, its metrics and its logger exist.
  function recordClientError (answered: Problem | null): void {
    if (answered === null) return
    app.metrics.clientErrors.inc({ status_code: answered.status })
    app.log.info({ request_id: answered.request_id, route: CLIENT_ERROR_ROUTE, status: answered.status }, 'request completed')
  }

  app.decorate('config', config)
  for (const schema of sharedSchemas) app.addSchema(schema)

  await app.register(problemHandling)
  const wrongMethods = methodNotAllowed()
  await app.register(wrongMethods.track)
  await app.register(requestContext, { currentCatalog })
  // OpenAPI before any route: it records every route registered after it.
  await app.register(openapi, { currentCatalog })
  await app.register(lifecycle)
  await app.register(loadShedding, options.loadShedding ?? { maxEventLoopDelayMs: config.SHED_EVENT_LOOP_DELAY_MS })
  await app.register(metrics, { currentCatalog })
  await app.register(reload, { store, dir: config.CATALOG_DIR, allowSourceRemoval: config.CATALOG_ALLOW_SOURCE_REMOVAL === '1', maxFileBytes: config.CATALOG_FILE_LIMIT_BYTES })

  await app.register(healthRoutes, { draining: () => app.lifecycle.draining, lastReload: () => app.lastReload })
  await app.register(codesRoutes)
  await app.register(catalogRoutes)
  await app.register(classifyRoutes, { maxRetryAfterS: config.MAX_RETRY_AFTER_S })
  await app.register(rootRoute)
  // Last: every path is known by now.
  await app.register(wrongMethods.answer)

  return app
}

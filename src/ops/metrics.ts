// Prometheus metrics through prom-client, on a registry of the app's own so
// that several apps in one process (tests) never share series. Every label
// value comes from a bounded set: route templates, methods, status codes,
// source ids, normalized codes and matched_by values. A raw upstream code,
// message or id never becomes a label.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Type } from '@sinclair/typebox'
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'
import type { Catalog } from '../catalog/types.js'
import type { Classification } from '../engine/schemas.js'
import '../http/routes/classify.js'
import { UNMATCHED_ROUTE } from './logging.js'

export interface Metrics {
  registry: Registry
  catalogReloads: Counter<'result'>
  /** Answers to what Node refused before there was a request: 400, 408, 431. */
  clientErrors: Counter<'status_code'>
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

export interface MetricsOptions {
  /** The catalog in service now, whose entries are counted at each scrape. */
  currentCatalog: () => Catalog
}

/**
 * How long one rendering of the exposition serves later scrapes. Prometheus
 * scrapes every 15 s or so; any number of scrapers then costs at most one
 * rendering a second.
 */
export const SCRAPE_CACHE_MS = 1000

/** errcat answers in milliseconds: buckets from 0.5 ms to 2.5 s, in seconds as Prometheus wants. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

async function metrics (app: FastifyInstance, options: MetricsOptions): Promise<void> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const durations = new Histogram({
    name: 'errcat_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry]
  })
  const classifications = new Counter({
    name: 'errcat_classifications_total',
    help: 'Classifications by detected source (or "none"), normalized code and what matched.',
    labelNames: ['source', 'normalized_code', 'matched_by'] as const,
    registers: [registry]
  })
  new Gauge({ // eslint-disable-line no-new -- the registry holds it
    name: 'errcat_catalog_entries',
    help: 'Catalog entries in service, by source.',
    labelNames: ['source'] as const,
    registers: [registry],
    collect () {
      this.reset()
      for (const index of options.currentCatalog().sourceList) this.set({ source: index.info.id }, index.entries.length)
    }
  })
  const catalogReloads = new Counter({
    name: 'errcat_catalog_reloads_total',
    help: 'Catalog reloads by result: success, or failure (the last good catalog kept serving).',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  catalogReloads.inc({ result: 'success' }, 0)
  catalogReloads.inc({ result: 'failure' }, 0)

  const clientErrors = new Counter({
    name: 'errcat_http_client_errors_total',
    help: 'Connections answered before there was a request (malformed, too slow, headers too large), by status code.',
    labelNames: ['status_code'] as const,
    registers: [registry]
  })

  app.decorate('metrics', { registry, catalogReloads, clientErrors })

  const count = (result: Classification): void => {
    classifications.inc({ source: result.source ?? 'none', normalized_code: result.normalized_code, matched_by: result.matched_by })
  }
  app.addHook('onResponse', (request, reply, done) => {
    durations.observe({
      method: request.method,
      // Unmatched URLs share one label: a client must not mint new series.
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status_code: reply.statusCode
    }, reply.elapsedTime / 1000)
    const classified = request.classification ?? null
    if (Array.isArray(classified)) classified.forEach(count)
    else if (classified !== null) count(classified as Classification)
    done()
  })

  // /metrics is never shed, so scrapers must not be able to starve the routes:
  // scrapes within SCRAPE_CACHE_MS of a rendering share it.
  let rendered: { at: number, text: Promise<string> } | undefined
  app.get('/metrics', {
    config: { shed: false },
    schema: {
      operationId: 'metrics',
      tags: ['operations'],
      summary: 'Prometheus metrics in the text exposition format',
      response: { 200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: Type.String() } } } }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    const now = Date.now()
    if (rendered === undefined || now - rendered.at >= SCRAPE_CACHE_MS) {
      const text = registry.metrics()
      rendered = { at: now, text }
      text.catch(() => { if (rendered?.text === text) rendered = undefined })
    }
    return await rendered.text
  })
}

export default fp(metrics, { name: 'metrics' })

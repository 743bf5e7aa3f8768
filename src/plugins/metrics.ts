// Prometheus metrics through prom-client, on a registry of the app's own so
// that several apps in one process (tests) never share counters. Every label
// value comes from a bounded set: route templates, status codes, source ids,
// normalized codes and matched_by values. A raw upstream code, message or id
// never becomes a label.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'
import type { Catalog } from '../catalog/types.js'
import type { Classification } from '../engine/classify.js'
import { RequestDurations } from './request-durations.js'
import { Type } from '@sinclair/typebox'

export interface Metrics {
  registry: Registry
  classified: (result: Classification) => void
  catalogLoaded: (catalog: Catalog) => void
  reloaded: (result: 'success' | 'failure') => void
}

declare module 'fastify' {
  interface FastifyInstance {
    metrics: Metrics
  }
}

type ClassificationLabels = Record<'source' | 'normalized_code' | 'matched_by', string>
interface ClassificationSeries { labels: ClassificationLabels, count: number }

/** Request durations are milliseconds: buckets from 0.5 ms to 2.5 s, in seconds as Prometheus wants. */
const DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

async function metrics (app: FastifyInstance): Promise<void> {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })

  const durations = new RequestDurations({
    name: 'errcat_http_request_duration_seconds',
    help: 'HTTP request duration by route template, method and status code.',
    buckets: DURATION_BUCKETS,
    registry
  })
  // Classifications are counted in plain numbers and handed to prom-client
  // when scraped: prom-client hashes and checks the label set on every
  // increment, which costs more than the count, and a batch counts a hundred.
  // A count is found by source, normalized code and matched_by, strings the
  // catalog and the engine hold, so no key is built and hashed per call.
  const classificationCounts = new Map<string, Map<string, Map<string, ClassificationSeries>>>()
  const classificationSeries: ClassificationSeries[] = []
  registry.registerMetric(new Counter({
    name: 'errcat_classifications_total',
    help: 'Classifications by detected source (or "none"), normalized code and what matched.',
    labelNames: ['source', 'normalized_code', 'matched_by'] as const,
    registers: [],
    collect () {
      this.reset()
      for (const { labels, count } of classificationSeries) this.inc(labels, count)
    }
  }))
  const entries = new Gauge({
    name: 'errcat_catalog_entries',
    help: 'Catalog entries in service, by source.',
    labelNames: ['source'] as const,
    registers: [registry]
  })
  const reloads = new Counter({
    name: 'errcat_catalog_reloads_total',
    help: 'Catalog reloads by result: success, or failure (the last good catalog kept serving).',
    labelNames: ['result'] as const,
    registers: [registry]
  })
  reloads.inc({ result: 'success' }, 0)
  reloads.inc({ result: 'failure' }, 0)

  const catalogLoaded = (catalog: Catalog): void => {
    entries.reset()
    for (const [id, index] of catalog.sources) entries.set({ source: id }, index.entries.length)
  }
  catalogLoaded(app.catalogStore.current)

  app.decorate('metrics', {
    registry,
    classified: (result: Classification) => {
      const source = result.source ?? 'none'
      let byCode = classificationCounts.get(source)
      if (byCode === undefined) classificationCounts.set(source, byCode = new Map())
      let byMatch = byCode.get(result.normalized_code)
      if (byMatch === undefined) byCode.set(result.normalized_code, byMatch = new Map())
      const series = byMatch.get(result.matched_by)
      if (series !== undefined) {
        series.count++
        return
      }
      const created = { labels: { source, normalized_code: result.normalized_code, matched_by: result.matched_by }, count: 1 }
      byMatch.set(result.matched_by, created)
      classificationSeries.push(created)
    },
    catalogLoaded,
    reloaded: (result: 'success' | 'failure') => { reloads.inc({ result }) }
  })

  app.addHook('onResponse', (request, reply, done) => {
    // Unmatched URLs share one label: a client must not mint new series.
    const route = request.routeOptions.url ?? '(no route)'
    durations.observe(durations.series(request.method, route, reply.statusCode), reply.elapsedTime / 1000)
    done()
  })

  app.get('/metrics', {
    schema: {
      tags: ['operations'],
      summary: 'Prometheus metrics in the text exposition format',
      response: { 200: { description: 'Prometheus text exposition format 0.0.4.', content: { 'text/plain': { schema: Type.String() } } } }
    }
  }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

export default fp(metrics, { name: 'metrics', dependencies: [] })

// Request durations as a Prometheus histogram that errcat counts itself and
// prom-client's registry writes out. prom-client's Histogram validates and
// hashes the label set on every observation: measured in the running service
// under load, that was 2.1 to 2.4 µs per answer, against 0.2 µs for counting
// here. A series (method, route, status) is found once through a map; an
// observation is then a bucket search and two additions.
import type { Histogram, Registry } from 'prom-client'

export type DurationLabels = Record<'method' | 'route' | 'status_code', string>

/** What the registry reads at each scrape: the shape prom-client's own Histogram.get() returns. */
type Exposition = Awaited<ReturnType<Histogram['get']>>

export interface DurationSeries {
  readonly labels: Readonly<DurationLabels>
  /** Observations per bucket, not cumulative; the last slot counts those above every bound. */
  readonly counts: Float64Array
  sum: number
  count: number
}

export interface RequestDurationsOptions {
  name: string
  help: string
  /** Upper bounds in seconds, ascending. */
  buckets: readonly number[]
  registry: Registry
}

export class RequestDurations {
  readonly name: string
  readonly help: string
  readonly type = 'histogram'
  readonly aggregator = 'sum'
  readonly #bounds: readonly number[]
  /** By route, method and status: lookups by strings Fastify holds and a number, no key built per call. */
  #byRoute = new Map<string, Map<string, Map<number, DurationSeries>>>()
  /** Every series, in the order first seen, for the exposition. */
  #series: DurationSeries[] = []

  constructor (options: RequestDurationsOptions) {
    this.name = options.name
    this.help = options.help
    this.#bounds = [...options.buckets]
    // The registry reads a metric through get() and reset(), the methods this class has;
    // its parameter type names only prom-client's own classes.
    options.registry.registerMetric(this as unknown as Histogram)
  }

  /** The series for a label set. Callers pass bounded values only: route templates and status codes. */
  series (method: string, route: string, statusCode: number): DurationSeries {
    let byMethod = this.#byRoute.get(route)
    if (byMethod === undefined) this.#byRoute.set(route, byMethod = new Map())
    let byStatus = byMethod.get(method)
    if (byStatus === undefined) byMethod.set(method, byStatus = new Map())
    let found = byStatus.get(statusCode)
    if (found === undefined) {
      found = { labels: Object.freeze({ method, route, status_code: String(statusCode) }), counts: new Float64Array(this.#bounds.length + 1), sum: 0, count: 0 }
      byStatus.set(statusCode, found)
      this.#series.push(found)
    }
    return found
  }

  observe (series: DurationSeries, seconds: number): void {
    if (!Number.isFinite(seconds)) return
    const bounds = this.#bounds
    let bucket = 0
    while (bucket < bounds.length && seconds > (bounds[bucket] as number)) bucket++
    series.counts[bucket] = (series.counts[bucket] as number) + 1
    series.sum += seconds
    series.count++
  }

  /** Buckets are cumulative in the exposition, as Prometheus reads them. */
  async get (): Promise<Exposition> {
    // Bucket values carry an empty exemplar, as prom-client's own do.
    const values: Array<Exposition['values'][number] & { exemplar?: null }> = []
    for (const { labels, counts, sum, count } of this.#series) {
      let cumulative = 0
      this.#bounds.forEach((bound, i) => {
        cumulative += counts[i] as number
        values.push({ labels: { le: bound, ...labels }, value: cumulative, metricName: `${this.name}_bucket`, exemplar: null })
      })
      values.push({ labels: { le: '+Inf', ...labels }, value: count, metricName: `${this.name}_bucket`, exemplar: null })
      values.push({ labels: { ...labels }, value: sum, metricName: `${this.name}_sum` })
      values.push({ labels: { ...labels }, value: count, metricName: `${this.name}_count` })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values } as unknown as Exposition
  }

  reset (): void {
    this.#byRoute.clear()
    this.#series = []
  }
}

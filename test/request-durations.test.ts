// errcat's own request-duration histogram against prom-client's Histogram:
// for the same observations, the registry must write the same text.
import { test } from 'tap'
import { Histogram, Registry } from 'prom-client'
import { RequestDurations } from '../src/plugins/request-durations.js'

const NAME = 'errcat_http_request_duration_seconds'
const HELP = 'HTTP request duration by route template, method and status code.'
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5]

/** [method, route, status, seconds]: values on, between, below and above the bounds. */
const OBSERVATIONS: Array<[string, string, number, number]> = [
  ['POST', '/classify', 200, 0.0004],
  ['POST', '/classify', 200, 0.0005],
  ['GET', '/codes/:code', 200, 0.0011],
  ['POST', '/classify', 200, 0.003],
  ['GET', '(no route)', 404, 0],
  ['POST', '/classify', 400, 2.5],
  ['POST', '/classify', 200, 7.25],
  ['GET', '/codes/:code', 200, 0.05],
  ['GET', '/codes/:code', 304, 0.1000001],
  ['POST', '/classify', 200, 1e-9]
]

function registries (): { ours: Registry, theirs: Registry, durations: RequestDurations, histogram: Histogram<'method' | 'route' | 'status_code'> } {
  const ours = new Registry()
  const theirs = new Registry()
  const durations = new RequestDurations({ name: NAME, help: HELP, buckets: BUCKETS, registry: ours })
  const histogram = new Histogram({ name: NAME, help: HELP, labelNames: ['method', 'route', 'status_code'], buckets: BUCKETS, registers: [theirs] })
  return { ours, theirs, durations, histogram }
}

test('the registry writes the same exposition as for prom-client\'s Histogram fed the same observations', async (t) => {
  const { ours, theirs, durations, histogram } = registries()
  t.equal(await ours.metrics(), await theirs.metrics(), 'before any observation')
  for (const [method, route, status, seconds] of OBSERVATIONS) {
    durations.observe(durations.series(method, route, status), seconds)
    histogram.observe({ method, route, status_code: String(status) }, seconds)
  }
  const text = await ours.metrics()
  t.equal(text, await theirs.metrics(), 'byte for byte')
  t.match(text, /^errcat_http_request_duration_seconds_bucket\{le="0\.0005",method="POST",route="\/classify",status_code="200"\} 3$/m, 'cumulative buckets, bounds inclusive')
  t.match(text, /^errcat_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/classify",status_code="200"\} 5$/m, '+Inf counts everything')
  t.match(text, /^errcat_http_request_duration_seconds_count\{method="GET",route="\/codes\/:code",status_code="200"\} 2$/m)
  const asJson = async (registry: Registry): Promise<unknown> => JSON.parse(JSON.stringify(await registry.getMetricsAsJSON()))
  t.same(await asJson(ours), await asJson(theirs), 'the JSON form too')

  ours.resetMetrics()
  theirs.resetMetrics()
  t.equal(await ours.metrics(), await theirs.metrics(), 'after a reset')
})

test('a series is found again, not made twice, and a duration that is not a number is not counted', async (t) => {
  const { ours, durations } = registries()
  const first = durations.series('GET', '/healthz', 200)
  t.equal(durations.series('GET', '/healthz', 200), first, 'the same series object')
  t.not(durations.series('GET', '/healthz', 503), first, 'another status is another series')
  durations.observe(first, Number.NaN)
  durations.observe(first, Number.POSITIVE_INFINITY)
  durations.observe(first, 0.002)
  t.equal(first.count, 1)
  t.equal(first.sum, 0.002)
  t.match(await ours.metrics(), /^errcat_http_request_duration_seconds_count\{method="GET",route="\/healthz",status_code="200"\} 1$/m)
})

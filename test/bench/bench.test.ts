// A smoke run of the benchmark with tiny durations, so the script cannot rot.
// The targets themselves are measured by `npm run bench`, never here.
import t, { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))
t.setTimeout(240_000)

test('npm run bench runs end to end and writes results.json and results.md', async (t) => {
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.bench.json')], { encoding: 'utf8' })
  t.equal(build.status, 0, build.status === 0 ? 'the bench compiles' : `the bench does not compile: ${build.stdout}`)
  const out = t.testdir({})
  const run = spawnSync(process.execPath, [join(root, 'dist-bench/bench/run.js'),
    '--seconds', '1', '--slices', '2', '--warmup', '1', '--rounds', '1', '--side-by-side-rounds', '1', '--side-by-side-seconds', '1', '--connections', '4', '--scale', '2', '--probe-ms', '20', '--probes', '1', '--engine-ms', '20', '--out', out
  ], { cwd: root, encoding: 'utf8', timeout: 180_000 })
  // 1 means a target was missed on this busy machine: the smoke run only proves the script works.
  t.ok(run.status === 0 || run.status === 1, `the script finishes (exit ${String(run.status)}): ${run.stderr.slice(-500)}`)

  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
    routes: Array<{ route: string, rps: number, baseline_rps: number, ratio: number, errors: number, non2xx: number, baseline_non2xx: number, items_per_s?: number, cpu_us: number, baseline_cpu_us: number, cpu_ratio: number }>
    engine: Record<string, number>
    scale: Array<{ factor: number, entries: number, boot_ms: number }>
    memory: { idle_rss_mb: number }
    targets: Array<{ target: string, pass: boolean }>
  }
  t.same(results.routes.map((route) => route.route), [
    'GET /codes/:code',
    'POST /classify (scaigrid rate limit)',
    'POST /classify (onecli template)',
    'POST /classify (nginx 502 HTML)',
    'POST /classify/batch (100 items)'
  ])
  for (const route of results.routes) {
    t.ok(route.rps > 0 && route.baseline_rps > 0, `${route.route} was measured`)
    t.equal(route.errors, 0, `${route.route} had no errors`)
    t.equal(route.non2xx, 0, `${route.route}: errcat answered 2xx`)
    t.equal(route.baseline_non2xx, 0, `${route.route}: the baseline took the same request and answered 2xx`)
    t.ok(route.cpu_us > 0 && route.baseline_cpu_us > 0, `${route.route}: server CPU per request was measured side by side`)
    t.equal(route.cpu_ratio.toFixed(6), (route.cpu_us / route.baseline_cpu_us).toFixed(6), `${route.route}: with one round, the CPU ratio is errcat's over the baseline's`)
  }
  t.ok((results.routes[4]?.items_per_s ?? 0) > 0, 'batch items/s is reported')
  t.same(Object.keys(results.engine), ['code', 'code_pattern', 'message', 'message_template', 'type', 'status', 'html'])
  t.same(results.scale.map((point) => point.factor), [1, 2])
  t.ok((results.scale[1]?.entries ?? 0) > 1.5 * (results.scale[0]?.entries ?? 0), 'the 2× catalog copies every entry (type, pattern and status rules stay single)')
  t.ok(results.memory.idle_rss_mb > 0, 'idle RSS is measured')
  t.ok(results.targets.length >= 10, 'every target is evaluated')

  const markdown = await readFile(join(out, 'results.md'), 'utf8')
  t.match(markdown, /\| route \| req\/s \| p50 ms \| p99 ms \| baseline req\/s \| baseline p99 ms \| ratio \|/)
  t.match(markdown, /\| route \| errcat CPU µs\/req \| baseline CPU µs\/req \| CPU ratio \|/)
  t.match(markdown, /\| engine path \| classifications\/s \|/)
  t.match(markdown, /\| target \| measured \| \|/)
})

test('slices of one server combine into requests over their total time, with median latencies', async (t) => {
  const { combined } = await import('../../bench/lib.js')
  const slice = (requests: number, seconds: number, p99: number) => ({ rps: requests / seconds, p50: p99 / 2, p99, errors: 0, non2xx: requests === 0 ? 0 : 1, requests, seconds })
  const whole = combined([slice(1000, 1, 4), slice(3000, 1, 2), slice(500, 0.5, 9)])
  t.equal(whole.requests, 4500)
  t.equal(whole.seconds, 2.5)
  t.equal(whole.rps, 1800, 'requests over the total time, not the mean of the slices\' rates')
  t.equal(whole.p99, 4, 'the median slice p99')
  t.equal(whole.p50, 2)
  t.equal(whole.non2xx, 3, 'counts add up')
  t.equal(combined([]).rps, 0, 'no slices, no rate')
})

test('functions timed in turns keep their names, and a call with more work measures dearer', async (t) => {
  const { timeEachInTurns, median, lastSink } = await import('../../bench/timing.js')
  const work = (n: number) => () => { let sum = 0; for (let i = 0; i < n; i++) sum += i % 7; return sum }
  const times = timeEachInTurns({ light: work(50), heavy: work(5000) }, 100, 5)
  t.same(Object.keys(times), ['light', 'heavy'])
  t.equal(lastSink(), work(5000)(), 'each result is kept, so no call can be optimized away')
  t.ok((times.light ?? 0) > 0, `a light call has a cost (${String(times.light)} ns)`)
  t.ok((times.heavy ?? 0) > 10 * (times.light ?? Infinity), `a hundredfold loop measures over ten times dearer (${String(times.heavy)} vs ${String(times.light)} ns)`)
  t.equal(median([5, 1, 3]), 3)
  t.equal(median([4, 1, 3, 2]), 2.5)
})

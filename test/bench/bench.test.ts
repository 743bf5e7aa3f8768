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
    '--seconds', '1', '--rounds', '1', '--warmup', '1', '--connections', '4',
    '--scale', '2,3', '--bounded-at', '2', '--answer-at', '3', '--probe-ms', '20', '--probes', '1', '--out', out
  ], { cwd: root, encoding: 'utf8', timeout: 180_000 })
  // 1 means a target was missed on this busy machine: the smoke run only proves the script works.
  t.ok(run.status === 0 || run.status === 1, `the script finishes (exit ${String(run.status)}): ${run.stderr.slice(-500)}`)

  const results = JSON.parse(await readFile(join(out, 'results.json'), 'utf8')) as {
    routes: Array<{ route: string, status: number, body_bytes: number, floor_same_answer: boolean, cpu_us: number, floor_cpu_us: number, cpu_ratio: number, round_ratios: number[], rps: number, floor_rps: number, failures: number, floor_failures: number }>
    pinning: { servers: number, load: number[] } | null
    memory: { idle_rss_mb: number }
    scale: Array<{ factor: number, entries: number, boot_ms: number, rss_mb: number, answers: Array<{ route: string, statuses: number[] }> }>
    growth: Record<string, number>
    targets: Array<{ target: string, value: string, pass: boolean }>
    goals: Array<{ target: string, pass: boolean }>
  }
  t.same(results.routes.map((route) => route.route), [
    'GET /codes/:code',
    'POST /classify (scaigrid rate limit)',
    'POST /classify (onecli template)',
    'POST /classify (nginx 502 HTML)',
    'POST /classify/batch (100 items)'
  ])
  for (const route of results.routes) {
    t.ok(route.status >= 200 && route.status < 300 && route.body_bytes > 0, `${route.route}: errcat's answer was captured (${route.status}, ${route.body_bytes} bytes)`)
    t.ok(route.floor_same_answer, `${route.route}: the floor answered the same status, content type and body bytes`)
    t.equal(route.failures, 0, `${route.route}: errcat answered every request 2xx`)
    t.equal(route.floor_failures, 0, `${route.route}: the floor took the same requests and answered every one 2xx`)
    t.ok(route.rps > 0 && route.floor_rps > 0, `${route.route}: both servers were loaded`)
    t.ok(route.cpu_us > 0 && route.floor_cpu_us > 0, `${route.route}: server CPU per request was measured side by side`)
    t.equal(route.cpu_ratio.toFixed(6), (route.cpu_us / route.floor_cpu_us).toFixed(6), `${route.route}: with one round, the ratio is errcat's CPU over the floor's`)
  }
  t.ok(results.pinning === null || (results.pinning.load.length > 0 && !results.pinning.load.includes(results.pinning.servers)), 'both servers share a CPU the load generator does not use')
  t.ok(results.memory.idle_rss_mb > 0, 'idle RSS is measured')
  t.same(results.scale.map((point) => point.factor), [1, 2, 3])
  t.ok((results.scale[1]?.entries ?? 0) > 1.5 * (results.scale[0]?.entries ?? 0), 'the 2× catalog copies every entry (type, pattern and status rules stay single)')
  t.ok(results.scale.every((point) => point.boot_ms > 0 && point.rss_mb > 0), 'boot time and RSS are measured at every size')
  t.same(Object.keys(results.growth), ['code', 'code_pattern', 'message', 'message_template', 'type', 'status', 'html'], 'growth is reported per engine path')
  t.equal(results.scale[2]?.answers.length, 16, 'every route is sent to the largest catalog')
  t.ok(results.scale[2]?.answers.every((answer) => answer.statuses.length === 1 && answer.statuses[0] !== 0), 'each route answered once per probe')

  t.same(results.targets.map((target) => target.target.replace(/[\d.]+×|[\d.]+ (MB|s)/g, 'N')), [
    'GET /codes/:code: CPU/request ≤ N the floor\'s',
    'POST /classify (scaigrid rate limit): CPU/request ≤ N the floor\'s',
    'POST /classify (onecli template): CPU/request ≤ N the floor\'s',
    'POST /classify (nginx 502 HTML): CPU/request ≤ N the floor\'s',
    'idle RSS of errcat with the bundled catalog ≤ N',
    'N catalog boots (load + buildApp + ready) in ≤ N',
    'per-classification cost grows < N from N to N (worst engine path)',
    'N catalog boots and answers every route with the expected status'
  ], 'every target is evaluated')
  for (const target of results.targets) t.notMatch(target.value, /not probed/, `${target.target} was measured`)
  t.equal(results.goals.length, 4, 'the goal is reported for each single route')
  t.equal(run.status, results.targets.every((target) => target.pass) ? 0 : 1, 'the exit code says whether every target passed')

  const markdown = await readFile(join(out, 'results.md'), 'utf8')
  t.match(markdown, /\| target \| measured \| \|/)
  t.match(markdown, /\| goal \(informational\) \| measured \| \|/)
  t.match(markdown, /\| route \| answer \| errcat CPU µs\/req \| floor CPU µs\/req \| ratio \|/)
  t.match(markdown, /\| catalog \| entries \| boot ms \| RSS after boot MB \|/)
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

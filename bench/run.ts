// `npm run bench`: errcat against the floor for its job, route by route, as
// server CPU per request with both loaded at once; then idle RSS and the
// catalog scaling run. Writes bench/results.json and bench/results.md and
// exits 1 when a target is missed.
import { spawnSync } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { BUNDLED_CATALOG_DIR, PACKAGE_ROOT } from '../src/catalog/paths.js'
import { ROUTES } from './cases.js'
import { allowedCpus, load, machine, pinProcess, send, siblingScript, startTarget, type Answer, type LoadRequest, type LoadResult, type Target } from './lib.js'
import { writeSyntheticCatalog } from './synthetic.js'
import { median } from './timing.js'

/** errcat's CPU per request over the floor's, per route except the batch. */
export const CPU_TARGET = 1.05
export const CPU_GOAL = 0.9
export const IDLE_RSS_TARGET_MB = 128
export const BOOT_TARGET_S = 1.5
/** Worst engine path's cost at the bounded catalog size over its cost at 1×. */
export const GROWTH_TARGET = 1.5

export interface BenchOptions {
  /** Side-by-side rounds; each round loads every route once, for `seconds`. */
  rounds: number
  seconds: number
  warmupSeconds: number
  /** Connections in all; each server gets half. */
  connections: number
  /** Synthetic catalog sizes probed, as multiples of the bundled catalog (1× is always probed). */
  scale: number[]
  /** The size whose boot time and per-classification growth are bounded. */
  boundedAt: number
  /** The size that must boot and answer every route. */
  answerAt: number
  probeMs: number
  /** Probes per catalog size, each in a fresh process; each figure is their median. */
  probes: number
  outDir: string | null
}

export interface RouteResult {
  route: string
  /** errcat's answer, captured at the start of the run and replayed by the floor. */
  status: number
  content_type: string
  body_bytes: number
  /** The floor's answer had the same status, content type and body bytes. */
  floor_same_answer: boolean
  /** Server CPU per request, median of the rounds, and errcat's over the floor's. */
  cpu_us: number
  floor_cpu_us: number
  cpu_ratio: number
  round_ratios: number[]
  /** Throughput and latency during the same rounds: each server with half the connections. */
  rps: number
  floor_rps: number
  p99_ms: number
  floor_p99_ms: number
  /** Errors, timeouts and non-2xx answers during the rounds, each server's. */
  failures: number
  floor_failures: number
}

export interface ScalePoint {
  factor: number
  entries: number
  boot_ms: number
  rss_mb: number
  per_case_ns: Record<string, number>
  /** Each route's statuses, one per probe, and whether every one was the expected status. */
  answers: Array<{ route: string, statuses: number[], expected: boolean }>
}

export interface Check { target: string, value: string, pass: boolean }

export interface Results {
  date: string
  machine: ReturnType<typeof machine>
  options: Omit<BenchOptions, 'outDir'>
  /** The CPU both servers shared and the CPUs the load generator (this process) ran on; null on a single CPU. */
  pinning: { servers: number, load: number[] } | null
  routes: RouteResult[]
  memory: { idle_rss_mb: number, after_load_rss_mb: number }
  scale: ScalePoint[]
  /** Each engine path's cost at the bounded size over its cost at 1×. */
  growth: Record<string, number>
  targets: Check[]
  /** Informational: a missed goal is not a failure. */
  goals: Check[]
}

interface Sample { cpuUs: number, load: LoadResult }

async function sleep (ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * Both servers loaded at once with the same request, each with half the
 * connections, and each one's CPU time (from /proc) per request it answered.
 * Loaded at once, both meet the same slowdowns of a shared machine, so their
 * ratio holds where throughput taken in turns drifts.
 */
async function sideBySide (errcat: Target, floor: Target, request: LoadRequest, seconds: number, connections: number): Promise<[Sample, Sample]> {
  const each = Math.max(1, Math.floor(connections / 2))
  const before = await Promise.all([errcat.cpuSeconds(), floor.cpuSeconds()])
  const loads = await Promise.all([load(errcat.port, request, seconds, each), load(floor.port, request, seconds, each)])
  const after = await Promise.all([errcat.cpuSeconds(), floor.cpuSeconds()])
  const sample = (i: 0 | 1): Sample => ({ cpuUs: (after[i] - before[i]) * 1e6 / Math.max(1, loads[i].requests), load: loads[i] })
  return [sample(0), sample(1)]
}

/** errcat's answer to the route's request; retried while load shedding still answers 503 after boot. */
async function capture (port: number, route: string, request: LoadRequest): Promise<Answer & { bytes: Buffer }> {
  for (let attempt = 1; ; attempt++) {
    const answer = await send(port, request)
    if (answer.status >= 200 && answer.status < 300) return answer
    if (attempt === 5) throw new Error(`errcat answered ${route} with ${answer.status}: ${answer.body.slice(0, 200)}`)
    await sleep(1000)
  }
}

async function httpRounds (options: BenchOptions): Promise<Pick<Results, 'pinning' | 'routes' | 'memory'>> {
  const work = await mkdtemp(join(tmpdir(), 'errcat-bench-'))
  // Both servers share one CPU and the load generator gets the others. Left to
  // the scheduler, three busy processes on two CPUs land differently from one
  // round to the next, and whichever server shares a CPU with the load
  // generator pays more per request; on one CPU, time-sliced, both servers meet
  // the same conditions, other processes on the machine included.
  const cpus = allowedCpus()
  const pinning = cpus.length < 2 ? null : { servers: cpus[cpus.length - 1] as number, load: cpus.slice(0, -1) }
  if (pinning !== null) pinProcess(process.pid, pinning.load.join(','))
  const errcat = await startTarget('errcat', undefined, pinning?.servers)
  let floor: Target | null = null
  try {
    await sleep(1000)
    const idleRss = await errcat.rssBytes()

    const answers = new Map<string, Answer & { bytes: Buffer }>()
    for (const [route, request] of Object.entries(ROUTES)) answers.set(route, await capture(errcat.port, route, request))
    const answersFile = join(work, 'answers.json')
    await writeFile(answersFile, JSON.stringify([...answers.values()].map(({ bytes, ...answer }) => answer)))
    floor = await startTarget('floor', answersFile, pinning?.servers)
    const same = new Map<string, boolean>()
    for (const [route, request] of Object.entries(ROUTES)) {
      const errcatAnswer = answers.get(route) as Answer & { bytes: Buffer }
      const floorAnswer = await send(floor.port, request)
      const alike = floorAnswer.status === errcatAnswer.status && floorAnswer.content_type === errcatAnswer.content_type && floorAnswer.bytes.equals(errcatAnswer.bytes)
      // Against a floor that answers something else, the ratio would mean nothing.
      if (!alike) throw new Error(`the floor answered ${route} with ${floorAnswer.status} ${floorAnswer.content_type}, ${floorAnswer.bytes.length} bytes; errcat with ${errcatAnswer.status} ${errcatAnswer.content_type}, ${errcatAnswer.bytes.length} bytes`)
      same.set(route, alike)
    }

    // Neither is measured while the JIT still compiles for the route.
    for (const request of Object.values(ROUTES)) await sideBySide(errcat, floor, request, options.warmupSeconds, options.connections)

    // Rounds go through every route in turn, so a slow minute of the machine meets every route alike.
    const samples = new Map<string, Array<[Sample, Sample]>>()
    let afterLoadRss = 0
    for (let round = 0; round < options.rounds; round++) {
      for (const [route, request] of Object.entries(ROUTES)) {
        const pair = await sideBySide(errcat, floor, request, options.seconds, options.connections)
        samples.set(route, [...(samples.get(route) ?? []), pair])
        afterLoadRss = Math.max(afterLoadRss, await errcat.rssBytes())
        process.stderr.write(`round ${round + 1} ${route}: CPU ${pair[0].cpuUs.toFixed(1)} vs floor ${pair[1].cpuUs.toFixed(1)} µs/req (${(pair[0].cpuUs / pair[1].cpuUs).toFixed(2)}×)\n`)
      }
    }

    const routes = Object.keys(ROUTES).map((route): RouteResult => {
      const pairs = samples.get(route) ?? []
      const answer = answers.get(route) as Answer & { bytes: Buffer }
      const of = (i: 0 | 1, pick: (sample: Sample) => number): number => median(pairs.map((pair) => pick(pair[i])))
      const failures = (i: 0 | 1): number => pairs.reduce((sum, pair) => sum + pair[i].load.errors + pair[i].load.non2xx, 0)
      const roundRatios = pairs.map(([mine, floors]) => mine.cpuUs / floors.cpuUs)
      return {
        route,
        status: answer.status,
        content_type: answer.content_type,
        body_bytes: answer.bytes.length,
        floor_same_answer: same.get(route) === true,
        cpu_us: of(0, (sample) => sample.cpuUs),
        floor_cpu_us: of(1, (sample) => sample.cpuUs),
        // Ratios are taken round by round, then the median: the machine's speed drifts between rounds.
        cpu_ratio: median(roundRatios),
        round_ratios: roundRatios,
        rps: of(0, (sample) => sample.load.rps),
        floor_rps: of(1, (sample) => sample.load.rps),
        p99_ms: of(0, (sample) => sample.load.p99),
        floor_p99_ms: of(1, (sample) => sample.load.p99),
        failures: failures(0),
        floor_failures: failures(1)
      }
    })
    return { pinning, routes, memory: { idle_rss_mb: idleRss / 2 ** 20, after_load_rss_mb: afterLoadRss / 2 ** 20 } }
  } finally {
    await floor?.stop()
    await errcat.stop()
    await rm(work, { recursive: true, force: true })
    // The scale probes that follow run where they like.
    if (pinning !== null) pinProcess(process.pid, cpus.join(','))
  }
}

interface ProbeLine {
  entries: number
  boot_ms: number
  rss_bytes: number
  per_case_ns: Record<string, number>
  answers: Array<{ route: string, status: number, expected: boolean }>
}

function probe (dir: string, probeMs: number): ProbeLine {
  const run = spawnSync(process.execPath, [...process.execArgv, siblingScript('scale-probe', import.meta.url), dir, String(probeMs)], {
    encoding: 'utf8',
    maxBuffer: 16 * 2 ** 20
  })
  if (run.status !== 0) throw new Error(`scale probe of ${dir} failed: ${run.stderr}`)
  return JSON.parse(run.stdout.trim().split('\n').pop() as string) as ProbeLine
}

async function scaling (factors: number[], probeMs: number, probes: number): Promise<ScalePoint[]> {
  const work = await mkdtemp(join(tmpdir(), 'errcat-scale-'))
  try {
    const sizes = [1, ...factors.filter((factor) => factor !== 1)].map((factor) => ({ factor, dir: factor === 1 ? BUNDLED_CATALOG_DIR : join(work, `x${factor}`), lines: [] as ProbeLine[] }))
    for (const size of sizes) if (size.factor !== 1) await writeSyntheticCatalog(size.dir, size.factor)
    // Each figure is the median of several probes, each in a fresh process, and
    // the sizes take turns probe by probe, so a slow minute meets every size alike.
    for (let round = 0; round < probes; round++) {
      for (const size of sizes) size.lines.push(probe(size.dir, probeMs))
    }
    return sizes.map(({ factor, lines }) => {
      const first = lines[0] as ProbeLine
      const point: ScalePoint = {
        factor,
        entries: first.entries,
        boot_ms: median(lines.map((line) => line.boot_ms)),
        rss_mb: median(lines.map((line) => line.rss_bytes)) / 2 ** 20,
        per_case_ns: Object.fromEntries(Object.keys(first.per_case_ns).map((name) => [name, median(lines.map((line) => line.per_case_ns[name] ?? 0))])),
        answers: first.answers.map(({ route }) => {
          const seen = lines.map((line) => line.answers.find((answer) => answer.route === route))
          return { route, statuses: seen.map((answer) => answer?.status ?? 0), expected: seen.every((answer) => answer?.expected === true) }
        })
      }
      process.stderr.write(`scale ${factor}x: ${point.entries} entries, boot ${Math.round(point.boot_ms)} ms, RSS ${Math.round(point.rss_mb)} MB\n`)
      return point
    })
  } finally {
    await rm(work, { recursive: true, force: true })
  }
}

function growthOf (scale: ScalePoint[], factor: number): Record<string, number> {
  const first = scale.find((point) => point.factor === 1)
  const bounded = scale.find((point) => point.factor === factor)
  if (first === undefined || bounded === undefined) return {}
  return Object.fromEntries(Object.entries(first.per_case_ns).map(([name, ns]) => [name, (bounded.per_case_ns[name] ?? 0) / ns]))
}

const times = (ratio: number): string => `${ratio.toFixed(2)}×`

function evaluate (results: Pick<Results, 'routes' | 'memory' | 'scale' | 'growth'>, options: BenchOptions): Pick<Results, 'targets' | 'goals'> {
  const targets: Check[] = []
  const goals: Check[] = []
  for (const route of results.routes) {
    if (route.route.includes('batch')) continue
    // Failed or shed requests cost less than answers: a round with any is no measure.
    const clean = route.failures === 0 && route.floor_failures === 0
    const dirty = clean ? '' : ` (${route.failures} errcat, ${route.floor_failures} floor errors or non-2xx)`
    targets.push({ target: `${route.route}: CPU/request ≤ ${CPU_TARGET}× the floor's`, value: times(route.cpu_ratio) + dirty, pass: clean && route.cpu_ratio <= CPU_TARGET })
    goals.push({ target: `${route.route}: CPU/request ≤ ${CPU_GOAL}× the floor's`, value: times(route.cpu_ratio), pass: route.cpu_ratio <= CPU_GOAL })
  }
  targets.push({ target: `idle RSS of errcat with the bundled catalog ≤ ${IDLE_RSS_TARGET_MB} MB`, value: `${results.memory.idle_rss_mb.toFixed(0)} MB`, pass: results.memory.idle_rss_mb > 0 && results.memory.idle_rss_mb <= IDLE_RSS_TARGET_MB })

  const bounded = results.scale.find((point) => point.factor === options.boundedAt)
  targets.push({
    target: `${options.boundedAt}× catalog boots (load + buildApp + ready) in ≤ ${BOOT_TARGET_S} s`,
    value: bounded === undefined ? 'not probed' : `${(bounded.boot_ms / 1000).toFixed(2)} s`,
    pass: bounded !== undefined && bounded.boot_ms <= BOOT_TARGET_S * 1000
  })
  const worst = Object.entries(results.growth).sort((a, b) => b[1] - a[1])[0]
  targets.push({
    target: `per-classification cost grows < ${GROWTH_TARGET}× from 1× to ${options.boundedAt}× (worst engine path)`,
    value: worst === undefined ? 'not probed' : `${times(worst[1])} (${worst[0]})`,
    pass: worst !== undefined && worst[1] < GROWTH_TARGET
  })
  const largest = results.scale.find((point) => point.factor === options.answerAt)
  const answered = largest?.answers.filter((answer) => answer.expected).length ?? 0
  targets.push({
    target: `${options.answerAt}× catalog boots and answers every route with the expected status`,
    value: largest === undefined ? 'not probed' : `${answered} of ${largest.answers.length} routes, boot ${(largest.boot_ms / 1000).toFixed(2)} s`,
    pass: largest !== undefined && largest.answers.length > 0 && answered === largest.answers.length
  })
  return { targets, goals }
}

export function markdown (results: Results): string {
  const m = results.machine
  const o = results.options
  const checks = (rows: Check[], pass: string, fail: string): string[] => rows.map((row) => `| ${row.target} | ${row.value} | ${row.pass ? pass : fail} |`)
  const lines = [
    `Measured ${results.date.slice(0, 10)} on ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GiB, Node ${m.node} (${m.platform}).`,
    '',
    '| target | measured | |', '|---|---:|---|',
    ...checks(results.targets, 'pass', '**FAIL**'),
    '',
    '| goal (informational) | measured | |', '|---|---:|---|',
    ...checks(results.goals, 'met', 'not met'),
    '',
    `Server CPU per request, errcat and the floor loaded at once with the same request (${o.connections / 2} connections each` +
      (results.pinning === null ? '), ' : `, both on CPU ${results.pinning.servers}, the load generator on CPU ${results.pinning.load.join(',')}), `) +
      `${o.rounds} rounds of ${o.seconds} s per route after ${o.warmupSeconds} s of warm-up; medians of the rounds, the ratio taken round by round.`,
    '',
    '| route | answer | errcat CPU µs/req | floor CPU µs/req | ratio | rounds\' ratios | errcat req/s | floor req/s | errcat p99 ms | floor p99 ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|'
  ]
  for (const r of results.routes) {
    const spread = `${Math.min(...r.round_ratios).toFixed(2)}–${Math.max(...r.round_ratios).toFixed(2)}`
    lines.push(`| ${r.route} | ${r.status}, ${r.content_type.split(';')[0] as string}, ${r.body_bytes} B | ${r.cpu_us.toFixed(1)} | ${r.floor_cpu_us.toFixed(1)} | ${times(r.cpu_ratio)} | ${spread} | ${r.rps.toFixed(0)} | ${r.floor_rps.toFixed(0)} | ${r.p99_ms} | ${r.floor_p99_ms} |`)
  }
  lines.push('', `Idle RSS of errcat with the bundled catalog: ${results.memory.idle_rss_mb.toFixed(0)} MB (${results.memory.after_load_rss_mb.toFixed(0)} MB at most under load).`)
  if (results.scale.length > 0) {
    const names = Object.keys(results.scale[0]?.per_case_ns ?? {})
    lines.push('', `Synthetic catalogs, ${o.probes} probes per size in fresh processes, sizes in turns; medians. Engine paths: ns per classify() call.`, '',
      `| catalog | entries | boot ms | RSS after boot MB | ${names.join(' | ')} |`, `|---|---:|---:|---:|${names.map(() => '---:').join('|')}|`)
    for (const point of results.scale) {
      lines.push(`| ${point.factor}× | ${point.entries} | ${point.boot_ms.toFixed(0)} | ${point.rss_mb.toFixed(0)} | ${names.map((name) => (point.per_case_ns[name] ?? 0).toFixed(0)).join(' | ')} |`)
    }
    if (Object.keys(results.growth).length > 0) lines.push(`| growth 1× → ${o.boundedAt}× | | | | ${names.map((name) => times(results.growth[name] ?? 0)).join(' | ')} |`)
    const largest = results.scale.find((point) => point.factor === o.answerAt)
    if (largest !== undefined) {
      lines.push('', `Routes at ${largest.factor}× (app.inject, once per probe):`, '', '| route | statuses | |', '|---|---|---|')
      for (const answer of largest.answers) lines.push(`| ${answer.route} | ${answer.statuses.join(', ')} | ${answer.expected ? 'as expected' : '**unexpected**'} |`)
    }
  }
  return lines.join('\n') + '\n'
}

export async function runBenchmark (options: BenchOptions): Promise<Results> {
  const { pinning, routes, memory } = await httpRounds(options)
  const scale = await scaling(options.scale, options.probeMs, options.probes)
  const growth = growthOf(scale, options.boundedAt)
  const { outDir, ...recorded } = options
  const measured = { routes, memory, scale, growth }
  const results: Results = { date: new Date().toISOString(), machine: machine(), options: recorded, pinning, ...measured, ...evaluate(measured, options) }
  if (outDir !== null) {
    await writeFile(join(outDir, 'results.json'), JSON.stringify(results, null, 2) + '\n')
    await writeFile(join(outDir, 'results.md'), markdown(results))
  }
  return results
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '8' },
      seconds: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '5' },
      connections: { type: 'string', default: '32' },
      scale: { type: 'string', default: '10,100,1000' },
      'bounded-at': { type: 'string', default: '100' },
      'answer-at': { type: 'string', default: '1000' },
      'probe-ms': { type: 'string', default: '500' },
      probes: { type: 'string', default: '5' },
      out: { type: 'string', default: join(PACKAGE_ROOT, 'bench') }
    }
  })
  const results = await runBenchmark({
    rounds: Number(values.rounds),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    connections: Number(values.connections),
    scale: values.scale === '' ? [] : values.scale.split(',').map(Number),
    boundedAt: Number(values['bounded-at']),
    answerAt: Number(values['answer-at']),
    probeMs: Number(values['probe-ms']),
    probes: Number(values.probes),
    outDir: values.out
  })
  process.stdout.write(markdown(results))
  if (results.targets.some((target) => !target.pass)) process.exitCode = 1
}

// `npm run hostile`: the attacks of bench/attacks.ts at full size against
// errcat in a process of its own (the compiled src/main, as `npm start` runs
// it, with its default settings) on 127.0.0.1, checking the promises of issue
// #22. Prints one line per promise and exits 1 when one is broken. Writes only
// to a temporary directory, removed at the end.
//
// The attackers of the timed phases run in a worker thread, so that the normal
// client whose latency is measured does not wait behind them on one event loop.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads'
import { BUNDLED_CATALOG_DIR } from '../src/catalog/paths.js'
import { ConfigSchema } from '../src/ops/config.js'
import {
  answersCounted, badRetryAfter, catalogFifo, catalogReloads, fiveHundreds, healthy, malformedRequests, merged, metricsScrapers, nestedJson, normalClient,
  overLimitBody, percentile, pipeliningFlood, prototypeKeys, sigtermUnderLoad, slowClients, threeAtOnce, total,
  type Latencies, type Observed, type ThreeSizes
} from './attacks.js'
import { rssOf } from './lib.js'

/** The promises' bounds. */
export const P99_LIMIT_MS = 100
export const ANSWERED_SHARE = 0.99
export const RSS_LIMIT_MB = 256
export const RSS_RETURN_SHARE = 0.1
export const EXIT_WITHIN_MS = 5000

interface HostileOptions {
  /** Length of each timed phase: the three attackers at once, and the scrapers. */
  phaseSeconds: number
  /** How long RSS may take to come back after the attacks. */
  settleSeconds: number
}

type WorkerJob = { kind: 'three', port: number, sizes: ThreeSizes } | { kind: 'scrapers', port: number, scrapers: number, durationMs: number }

const MB = 2 ** 20
const sleep = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }
const fixed = (ms: number): string => ms.toFixed(ms < 10 ? 1 : 0)
const counts = (record: Record<string, number>): string => Object.keys(record).length === 0 ? 'none' : Object.entries(record).map(([key, n]) => `${key}: ${n}`).join(', ')

interface Server {
  child: ChildProcess
  port: number
  logs: () => string
  exited: Promise<number | null>
}

/** errcat as `npm start` runs it, with its default settings, logging to a file in `work`. */
async function startErrcat (work: string, catalogDir: string): Promise<Server> {
  const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  const main = fileURLToPath(new URL(`../src/main${extension}`, import.meta.url))
  const env: NodeJS.ProcessEnv = { ...process.env }
  for (const name of Object.keys(ConfigSchema.properties)) delete env[name]
  const logFile = join(work, 'errcat.log')
  const out = openSync(logFile, 'a')
  const child = spawn(process.execPath, [...process.execArgv, main], {
    stdio: ['ignore', out, out],
    env: { ...env, NODE_ENV: 'production', HOST: '127.0.0.1', PORT: '0', CATALOG_DIR: catalogDir }
  })
  closeSync(out)
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  const logs = (): string => readFileSync(logFile, 'utf8')
  const until = performance.now() + 30_000
  for (;;) {
    const port = /"msg":"errcat listening on http:\/\/127\.0\.0\.1:(\d+),/.exec(logs())?.[1]
    if (port !== undefined) return { child, port: Number(port), logs, exited }
    if (child.exitCode !== null || performance.now() > until) {
      child.kill('SIGKILL')
      throw new Error(`errcat did not start: ${logs().slice(-2000)}`)
    }
    await sleep(50)
  }
}

/** Runs a job in a worker thread: resolves with its result, once `started` has been told it began. */
async function inWorker<T> (job: WorkerJob, started: () => void): Promise<T> {
  const worker = new Worker(new URL(import.meta.url), { workerData: job, execArgv: process.execArgv })
  try {
    return await new Promise<T>((resolve, reject) => {
      worker.on('message', (message: { started?: true, result?: T }) => {
        if (message.started === true) started()
        else resolve(message.result as T)
      })
      worker.on('error', reject)
      worker.on('exit', (code) => reject(new Error(`the attackers' worker exited (${code})`)))
    })
  } finally {
    await worker.terminate()
  }
}

/** A normal client measured while a worker attacks. */
async function underAttack<T> (port: number, job: WorkerJob, durationMs: number): Promise<{ attackers: T, classify: Latencies, healthz: Latencies }> {
  let normal: Promise<{ classify: Latencies, healthz: Latencies }> | undefined
  const attackers = await inWorker<T>(job, () => { normal = normalClient(port, { durationMs }) })
  const { classify, healthz } = await (normal as Promise<{ classify: Latencies, healthz: Latencies }>)
  return { attackers, classify, healthz }
}

async function hostile (options: HostileOptions): Promise<boolean> {
  const work = await mkdtemp(join(tmpdir(), 'errcat-hostile-'))
  let server: Server | undefined
  let failures = 0
  const line = (ok: boolean, promise: string, measured: string): void => {
    if (!ok) failures++
    process.stdout.write(`${ok ? 'ok  ' : 'FAIL'}  ${promise}: ${measured}\n`)
  }
  try {
    // A copy of the catalog: attacks 7 and 8 change it.
    const catalogDir = join(work, 'catalog')
    await cp(BUNDLED_CATALOG_DIR, catalogDir, { recursive: true })
    const running = await startErrcat(work, catalogDir)
    server = running
    const { port, child } = running
    const pid = child.pid as number

    let rssMax = 0
    /** The most RSS since the current attack began. */
    let phaseMax = 0
    const sampler = setInterval(() => {
      rssOf(pid).then((rss) => { rssMax = Math.max(rssMax, rss); phaseMax = Math.max(phaseMax, rss) }, () => {})
    }, 200)
    try {
      // Every route once, then ordinary traffic, before RSS is taken as the start.
      await normalClient(port, { durationMs: 3000 })
      await overLimitBody(port, { bytes: 1024, requests: 3 })
      await sleep(1100)
      const rssStart = await rssOf(pid)
      process.stdout.write(`errcat pid ${pid} on 127.0.0.1:${port}, RSS ${(rssStart / MB).toFixed(0)} MB after warm-up\n`)

      let counted = await answersCounted(port)
      const seenAll: Observed[] = []
      /** 5xx errcat counted since the last look; /metrics renders at most once a second. */
      const newFiveHundreds = async (): Promise<number> => {
        await sleep(1100)
        const now = await answersCounted(port)
        const fresh = fiveHundreds({ statuses: Object.fromEntries(Object.entries(now).map(([status, n]) => [status, n - (counted[status] ?? 0)])) })
        counted = now
        return fresh
      }
      /** RSS now, and the most seen since the last call. */
      const rssMb = async (): Promise<string> => {
        const now = await rssOf(pid)
        const most = Math.max(phaseMax, now)
        phaseMax = 0
        return `RSS ${(now / MB).toFixed(0)} MB (at most ${(most / MB).toFixed(0)} MB during it)`
      }
      const closingWarnings = (): number => running.logs().split('"msg":"closing a connection whose client does not read its answers"').length - 1
      const alive = async (): Promise<boolean> => child.exitCode === null && await healthy(port)
      const attack = async <T extends Observed>(name: string, run: () => Promise<T>, measured: (seen: T) => string): Promise<T> => {
        phaseMax = 0
        const seen = await run()
        seenAll.push(seen)
        const fives = fiveHundreds(seen)
        const counted5xx = await newFiveHundreds()
        const up = await alive()
        const broken = seen.violationCount === 0 ? '' : `; ${seen.violationCount} broken, e.g. ${seen.violations.join(' | ')}`
        line(up && fives === 0 && counted5xx === 0 && seen.violationCount === 0, name,
          `${measured(seen)}; 5xx: ${fives} seen, ${counted5xx} counted by errcat; ${up ? 'alive, /healthz 200' : 'NOT ALIVE'}; ${await rssMb()}${broken}`)
        return seen
      }

      await attack('1. 20 connections each pipelining 20,000 GET /healthz, reading nothing, are closed', async () => await pipeliningFlood(port, { connections: 20, requests: 20_000 }),
        (seen) => `${seen.closedByErrcat} of ${seen.connections} closed by errcat (${closingWarnings()} warnings logged), ${seen.leftOpen} left open; answers read: ${counts(seen.statuses)}; errors: ${counts(seen.errors)}`)
      await attack('2. JSON nested 100,000 deep to /classify (200, as text) and in a batch (400)', async () => await nestedJson(port, { depth: 100_000, requests: 280, concurrency: 4 }),
        (seen) => `${total(seen.statuses)} answers: ${counts(seen.statuses)}`)

      const durationMs = options.phaseSeconds * 1000
      phaseMax = 0
      const three = await underAttack<{ flood: Observed & { connections: number, closedByErrcat: number }, nested: Observed, slow: Observed & { cut: number } }>(port, {
        kind: 'three',
        port,
        sizes: {
          flood: { connections: 20, requests: 20_000, durationMs },
          nested: { depth: 100_000, requests: Infinity, concurrency: 4, durationMs },
          slow: { connections: 6, guardMs: 14_000 }
        }
      }, durationMs)
      const threeSeen = merged(three.attackers.flood, three.attackers.nested, three.attackers.slow)
      seenAll.push(threeSeen, three.classify, three.healthz)
      {
        const classifyP99 = percentile(three.classify.ms, 0.99)
        const healthzP99 = percentile(three.healthz.ms, 0.99)
        const classified = total(three.classify.statuses) + total(three.classify.errors)
        const share = (three.classify.statuses['200'] ?? 0) / Math.max(1, classified)
        line(classifyP99 <= P99_LIMIT_MS && share >= ANSWERED_SHARE && healthzP99 <= P99_LIMIT_MS,
          `3. a normal client while the flood, nested JSON and slow clients attack at once (${options.phaseSeconds} s)`,
          `POST /classify p99 ${fixed(classifyP99)} ms (≤ ${P99_LIMIT_MS}), ${(share * 100).toFixed(2)}% of ${classified} answered 200 (≥ ${ANSWERED_SHARE * 100}%); ` +
          `GET /healthz p99 ${fixed(healthzP99)} ms (≤ ${P99_LIMIT_MS}) over ${three.healthz.ms.length}`)
        const fives = fiveHundreds(threeSeen) + fiveHundreds(three.classify) + fiveHundreds(three.healthz)
        const counted5xx = await newFiveHundreds()
        const up = await alive()
        const broken = threeSeen.violationCount === 0 ? '' : `; ${threeSeen.violationCount} broken, e.g. ${threeSeen.violations.join(' | ')}`
        line(up && fives === 0 && counted5xx === 0 && threeSeen.violationCount === 0, '3. the three attackers at once',
          `${three.attackers.flood.closedByErrcat} of ${three.attackers.flood.connections} flooding connections closed (${closingWarnings()} warnings logged in all); ${total(three.attackers.nested.statuses)} nested answers (${counts(three.attackers.nested.statuses)}); ` +
          `${three.attackers.slow.cut} slow clients cut (${counts(three.attackers.slow.statuses)}); 5xx: ${fives} seen, ${counted5xx} counted by errcat; ${up ? 'alive, /healthz 200' : 'NOT ALIVE'}; ${await rssMb()}${broken}`)
      }

      await attack('4. 6 slow clients (a body or headers at 1 byte/s) are cut with a 408 problem', async () => await slowClients(port, { connections: 6, guardMs: 14_000 }),
        (seen) => `${seen.cut} cut after ${seen.cutAfterMs.map((ms) => (ms / 1000).toFixed(1)).join(', ')} s, ${seen.notCut} not; answers: ${counts(seen.statuses)}`)
      await attack('5. bad Retry-After values are ignored, never "retry at once"', async () => await badRetryAfter(port, { rounds: 2 }),
        (seen) => `${total(seen.statuses)} answers (${counts(seen.statuses)}), every bad value ignored or, past 12 digits, not retried`)
      await attack('7. a FIFO in CATALOG_DIR, then SIGHUP: the reload is refused and errcat keeps serving', async () => await catalogFifo(port, {
        dir: catalogDir,
        reload: () => child.kill('SIGHUP'),
        logs: running.logs
      }, { waitMs: 5000 }), (seen) => seen.skipped
        ? 'skipped: no mkfifo here'
        : `refusal ${seen.refusalLogged ? 'logged' : 'NOT logged'}; /readyz last_reload ${seen.lastReload?.result ?? 'none'} (${(seen.lastReload?.reason ?? '').slice(-40)})`)
      await attack('8. a catalog file over the size bound, then a source file removed, each with SIGHUP: both reloads refused, errcat keeps serving', async () => await catalogReloads(port, {
        dir: catalogDir,
        reload: () => child.kill('SIGHUP'),
        logs: running.logs
      }, { fileBytes: 20 * MB, waitMs: 5000 }), (seen) => `/readyz last_reload: ${seen.lastReloads.map((last) => last?.result ?? 'none').join(', ')}`)
      await attack('9. malformed request lines, bad framing, headers over 16 KiB, on raw sockets: a 400/431 problem each', async () => await malformedRequests(port, { rounds: 5 }),
        (seen) => `${total(seen.statuses)} answers: ${counts(seen.statuses)}`)
      await attack('10. a 2 MiB body sent with fetch gets the 413 problem, not EPIPE', async () => await overLimitBody(port, { bytes: 2 * MB, requests: 6 }),
        (seen) => `answers: ${counts(seen.statuses)}; errors: ${counts(seen.errors)}`)
      await attack('11. __proto__ keys in a batch are data (200); a batch as text/plain is a 415', async () => await prototypeKeys(port, { rounds: 10 }),
        (seen) => `answers: ${counts(seen.statuses)}`)

      phaseMax = 0
      const scraping = await underAttack<Observed>(port, { kind: 'scrapers', port, scrapers: 8, durationMs }, durationMs)
      seenAll.push(scraping.attackers, scraping.classify, scraping.healthz)
      {
        const p99 = percentile(scraping.classify.ms, 0.99)
        const all = merged(scraping.attackers, scraping.classify, scraping.healthz)
        const counted5xx = await newFiveHundreds()
        const up = await alive()
        line(p99 <= P99_LIMIT_MS && all.violationCount === 0 && fiveHundreds(all) === 0 && counted5xx === 0 && up,
          `12. a normal client while 8 /metrics scrapers loop (${options.phaseSeconds} s)`,
          `POST /classify p99 ${fixed(p99)} ms (≤ ${P99_LIMIT_MS}) over ${scraping.classify.ms.length}; ${total(scraping.attackers.statuses)} scrapes (${counts(scraping.attackers.statuses)}); ` +
          `5xx counted by errcat: ${counted5xx}; ${up ? 'alive, /healthz 200' : 'NOT ALIVE'}; ${await rssMb()}` + (all.violationCount === 0 ? '' : `; ${all.violationCount} broken, e.g. ${all.violations.join(' | ')}`))
      }

      // Idle, so the garbage collector may hand memory back.
      const limit = rssStart * (1 + RSS_RETURN_SHARE)
      const settleUntil = performance.now() + options.settleSeconds * 1000
      const settleFrom = performance.now()
      let rssNow = await rssOf(pid)
      while (rssNow > limit && performance.now() < settleUntil) {
        await sleep(500)
        rssNow = await rssOf(pid)
      }
      line(rssNow <= limit, `RSS back within ${RSS_RETURN_SHARE * 100}% of its start afterwards`,
        `${(rssNow / MB).toFixed(0)} MB after ${((performance.now() - settleFrom) / 1000).toFixed(1)} s idle (start ${(rssStart / MB).toFixed(0)} MB, bound ${(limit / MB).toFixed(0)} MB, waited up to ${options.settleSeconds} s)`)
      const counted5xx = fiveHundreds({ statuses: counted })
      line(counted5xx === 0, 'no 5xx in errcat\'s own count (/metrics) over the attacks', `answers by status: ${counts(counted)}`)

      const sigterm = await sigtermUnderLoad({ port, terminate: () => child.kill('SIGTERM'), exited: running.exited }, { clients: 50, loadMs: 2000, thinkMs: 20, exitWithinMs: 8000 })
      seenAll.push(sigterm)
      line(sigterm.violationCount === 0 && sigterm.exitMs !== null && sigterm.exitMs <= EXIT_WITHIN_MS && fiveHundreds(sigterm) === 0,
        '6. SIGTERM under 50 pooled keep-alive clients: no request sent is reset, no 5xx, exit 0 within 5 s',
        `${sigterm.resets} resets; ${sigterm.refused} new connections refused once errcat stopped listening; ${total(sigterm.statuses)} answers (${counts(sigterm.statuses)}), ` +
        `${sigterm.answeredAfterSignal} after the signal, ${sigterm.closingAnswers} of them with Connection: close; ` +
        `exit code ${String(sigterm.exitCode)} after ${sigterm.exitMs === null ? 'more than 8 s' : `${(sigterm.exitMs / 1000).toFixed(2)} s`}` +
        (sigterm.violationCount === 0 ? '' : `; ${sigterm.violationCount} broken, e.g. ${sigterm.violations.join(' | ')}`))

      line(rssMax <= RSS_LIMIT_MB * MB, `RSS ≤ ${RSS_LIMIT_MB} MB throughout`, `at most ${(rssMax / MB).toFixed(0)} MB (sampled every 200 ms)`)
      const everything = merged(...seenAll)
      line(everything.problemsChecked > 0 && everything.badProblems === 0, 'every error answer an RFC 9457 problem (text when the request asked for text)',
        `${everything.problemsChecked} error answers checked, ${everything.badProblems} not (each is named in its attack's line)`)
    } finally {
      clearInterval(sampler)
    }
  } finally {
    if (server !== undefined && server.child.exitCode === null && server.child.signalCode === null) {
      server.child.kill('SIGKILL')
      await server.exited
    }
    await rm(work, { recursive: true, force: true })
  }
  process.stdout.write(failures === 0 ? 'every promise kept\n' : `${failures} promise${failures === 1 ? '' : 's'} broken\n`)
  return failures === 0
}

if (!isMainThread) {
  const job = workerData as WorkerJob
  parentPort?.postMessage({ started: true })
  const result = job.kind === 'three'
    ? await threeAtOnce(job.port, job.sizes)
    : await metricsScrapers(job.port, { scrapers: job.scrapers, durationMs: job.durationMs })
  parentPort?.postMessage({ result })
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      'phase-seconds': { type: 'string', default: '11' },
      'settle-seconds': { type: 'string', default: '30' }
    }
  })
  const kept = await hostile({ phaseSeconds: Number(values['phase-seconds']), settleSeconds: Number(values['settle-seconds']) })
  if (!kept) process.exitCode = 1
}

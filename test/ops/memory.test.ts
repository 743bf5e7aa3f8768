// Memory handed back: at boot, and when errcat goes idle after RSS has grown.
import t, { test, type Test } from 'tap'
import { getHeapSpaceStatistics } from 'node:v8'
import type { EventLoopUtilization } from 'node:perf_hooks'
import { reduceMemory, settleWhenIdle, SETTLE_GROWTH, type Settled } from '../../src/ops/memory.js'
import { startService } from '../helper.js'

t.setTimeout(300_000)

const MB = 2 ** 20

/** The settler's timer does not hold the process open; while a test waits on it, this does. */
function keepAlive (t: Test): void {
  const timer = setInterval(() => {}, 1000)
  t.teardown(() => { clearInterval(timer) })
}
const utilization = (value: number) => (): EventLoopUtilization => ({ idle: 1 - value, active: value, utilization: value })

/** Resolves once `ticks` readings of the event loop have been taken. */
function ticks (count: number): { read: (value: number) => () => EventLoopUtilization, done: Promise<void> } {
  let seen = 0
  let finish = (): void => {}
  const done = new Promise<void>((resolve) => { finish = resolve })
  return {
    read: (value) => () => {
      if (++seen >= count) finish()
      return utilization(value)()
    },
    done
  }
}

test('reduceMemory hands back the young generation that a burst of allocation grew', async (t) => {
  const newSpace = (): number => getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size ?? 0
  // Objects that survive several collections make V8 grow the young generation.
  let kept: object[] | null = []
  for (let i = 0; i < 400_000; i++) kept.push({ i, text: String(i) })
  kept = null
  const before = newSpace()
  t.ok(before > MB, `the young generation grew (${(before / MB).toFixed(0)} MB)`)
  t.equal(await reduceMemory(), true)
  t.ok(newSpace() < before, `it shrank (${(before / MB).toFixed(0)} to ${(newSpace() / MB).toFixed(0)} MB)`)
})

test('settle() collects now and measures later growth from where the collection left RSS', async (t) => {
  let rss = 200 * MB
  const settled: Settled[] = []
  const memory = settleWhenIdle({
    readRss: () => rss,
    readUtilization: utilization(0),
    reduce: async () => { rss = 100 * MB; return true },
    onSettled: (done) => { settled.push(done) }
  })
  t.teardown(memory.stop)
  await memory.settle()
  t.equal(settled.length, 1)
  t.equal(settled[0]?.rssBefore, 200 * MB)
  t.equal(settled[0]?.rssAfter, 100 * MB)
  t.ok((settled[0]?.heapAfter ?? 0) > 0)
})

test('when idle and RSS has grown past the settled level, it collects again', async (t) => {
  keepAlive(t)
  let rss = 100 * MB
  let reductions = 0
  const collected = new Promise<Settled>((resolve) => {
    const memory = settleWhenIdle({
      intervalMs: 5,
      readRss: () => rss,
      readUtilization: utilization(0.001),
      reduce: async () => { reductions++; rss = 101 * MB; return true },
      onSettled: resolve
    })
    t.teardown(memory.stop)
    rss = 100 * MB * (1 + SETTLE_GROWTH) + MB
  })
  const settled = await collected
  t.equal(settled.rssBefore, 100 * MB * (1 + SETTLE_GROWTH) + MB)
  t.equal(settled.rssAfter, 101 * MB)
  t.equal(reductions, 1)
})

test('while busy, or with RSS within the bound, it does not collect', async (t) => {
  keepAlive(t)
  for (const [name, load, grownBy] of [['busy', 0.5, 1], ['idle, little growth', 0, SETTLE_GROWTH / 2]] as const) {
    let rss = 100 * MB
    let reductions = 0
    const readings = ticks(10)
    const memory = settleWhenIdle({
      intervalMs: 5,
      readRss: () => rss,
      readUtilization: readings.read(load),
      reduce: async () => { reductions++; return true }
    })
    t.teardown(memory.stop)
    rss = 100 * MB * (1 + grownBy)
    await readings.done
    memory.stop()
    t.equal(reductions, 0, name)
  }
})

test('a Node without an inspector session, or one that fails, is no failure', async (t) => {
  let settledCalls = 0
  const memory = settleWhenIdle({ reduce: async () => false, onSettled: () => { settledCalls++ } })
  t.teardown(memory.stop)
  await memory.settle()
  t.equal(settledCalls, 0)
})

test('the service hands back its boot memory before it listens', async (t) => {
  const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'debug', SHED_EVENT_LOOP_DELAY_MS: '0' }
  const service = await startService(t, [...process.execArgv, 'src/main.ts'], { env })
  const lines = service.output().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string, rss_before_mb?: number, rss_after_mb?: number })
  const handedBack = lines.findIndex((line) => line.msg === 'memory handed back')
  const listening = lines.findIndex((line) => line.msg.startsWith('errcat listening on'))
  t.ok(handedBack >= 0 && handedBack < listening, 'logged before the listening line')
  const line = lines[handedBack]
  t.ok(line !== undefined && (line.rss_after_mb ?? Infinity) <= (line.rss_before_mb ?? 0), 'RSS after is at most RSS before')
  service.child.kill('SIGTERM')
  t.equal(await service.exited, 0)
})

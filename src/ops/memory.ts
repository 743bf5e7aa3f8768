// Handing memory back when errcat is idle. Booting (parsing and indexing the
// catalog) and bursts of traffic grow V8's heap, and V8 returns the space only
// in a later memory-reducing collection, which an idle service may never get:
// Node 24 keeps the young generation it grew at boot for as long as nothing is
// allocated. errcat asks for that collection itself, through Node's in-process
// inspector session: once when it is ready, and again whenever it has gone
// idle with RSS well above where the last collection left it. No V8 flag is
// needed, and nothing runs while requests are being served.
import { performance, type EventLoopUtilization } from 'node:perf_hooks'

/** How often the process is looked at. */
export const MEMORY_CHECK_INTERVAL_MS = 10_000
/** Event-loop utilization over one interval below which errcat counts as idle. */
export const IDLE_UTILIZATION = 0.02
/** Growth of RSS above the last settled level that is worth a collection. */
export const SETTLE_GROWTH = 0.1

/**
 * Asks V8 for a full, memory-reducing collection (the inspector's
 * HeapProfiler.collectGarbage). False when this Node has no inspector.
 */
export async function reduceMemory (): Promise<boolean> {
  let inspector: typeof import('node:inspector/promises')
  try {
    inspector = await import('node:inspector/promises')
  } catch {
    return false
  }
  const session = new inspector.Session()
  try {
    session.connect()
    await session.post('HeapProfiler.collectGarbage')
    return true
  } catch {
    // Another in-process session (a debugger) may hold the inspector: this is an optimization, never a failure.
    return false
  } finally {
    session.disconnect()
  }
}

export interface Settled {
  rssBefore: number
  rssAfter: number
  /** V8's heap after the collection; RSS above it is native memory (buffers, threads' allocations). */
  heapAfter: number
}

export interface IdleSettlingOptions {
  intervalMs?: number
  /** Called after each collection, with RSS before and after it and V8's heap after it, in bytes. */
  onSettled?: (settled: Settled) => void
  /** For tests: the readings and the collection. */
  readRss?: () => number
  readUtilization?: (since?: EventLoopUtilization) => EventLoopUtilization
  reduce?: () => Promise<boolean>
}

export interface IdleSettling {
  /** Settles now (at boot) and records the level that later growth is measured from. */
  settle: () => Promise<void>
  stop: () => void
}

/** Settles memory whenever the process has been idle for one interval and RSS has grown past the last settled level. */
export function settleWhenIdle (options: IdleSettlingOptions = {}): IdleSettling {
  const readRss = options.readRss ?? (() => process.memoryUsage.rss())
  const readUtilization = options.readUtilization ?? ((since) => performance.eventLoopUtilization(since))
  const reduce = options.reduce ?? reduceMemory
  let settledRss = readRss()
  let settling = false
  let last = readUtilization()

  const settle = async (): Promise<void> => {
    if (settling) return
    settling = true
    try {
      const rssBefore = readRss()
      if (!await reduce()) return
      settledRss = readRss()
      options.onSettled?.({ rssBefore, rssAfter: settledRss, heapAfter: process.memoryUsage().heapTotal })
    } finally {
      settling = false
    }
  }

  const timer = setInterval(() => {
    const now = readUtilization()
    const idle = readUtilization(last).utilization < IDLE_UTILIZATION
    last = now
    // A collection that fails leaves memory where it was; nothing waits for it.
    if (idle && readRss() > settledRss * (1 + SETTLE_GROWTH)) settle().catch(() => {})
  }, options.intervalMs ?? MEMORY_CHECK_INTERVAL_MS)
  timer.unref()

  return { settle, stop: () => { clearInterval(timer) } }
}

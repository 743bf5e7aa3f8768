// In-process timing: run functions repeatedly for a while and report the
// cost of one call, after a warm-up so the JIT has settled. No dependencies:
// the scale probes measure their own RSS.

let sink: unknown
/** The function's result goes here, so the optimizer cannot drop the call. */
export function consume (value: unknown): void { sink = value }
export function lastSink (): unknown { return sink }

/** The mean cost of one call, in ns, over a window of `milliseconds`. */
function meanNsPerCall (fn: () => unknown, milliseconds: number): number {
  let calls = 0
  const start = performance.now()
  const until = start + milliseconds
  let now = start
  while (now < until) {
    for (let i = 0; i < 100; i++) consume(fn())
    calls += 100
    now = performance.now()
  }
  return ((now - start) * 1e6) / calls
}

/**
 * The cost of one call of each function, in ns: each gets `milliseconds` in
 * all, as `windows` short windows taken in turns with the others', and its
 * cost is the median window's. A shared machine slows down for a second or
 * so at a time; one long window per function would put such a slowdown on
 * whichever function it met, where the median of windows in turns leaves it
 * out, for all functions alike.
 */
export function timeEachInTurns (fns: Readonly<Record<string, () => unknown>>, milliseconds: number, windows = 10): Record<string, number> {
  const calls = Object.entries(fns).map(([name, fn]) => ({ name, fn, samples: [] as number[] }))
  for (const { fn } of calls) {
    const warmUntil = performance.now() + Math.min(200, milliseconds / 2)
    while (performance.now() < warmUntil) consume(fn())
  }
  for (let turn = 0; turn < windows; turn++) {
    for (const { fn, samples } of calls) samples.push(meanNsPerCall(fn, milliseconds / windows))
  }
  return Object.fromEntries(calls.map(({ name, samples }) => [name, median(samples)]))
}

export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle] as number : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

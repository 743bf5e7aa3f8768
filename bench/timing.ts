// In-process timing: run a function repeatedly for a while and report the
// mean cost of one call, after a warm-up so the JIT has settled.

let sink: unknown
/** The function's result goes here, so the optimizer cannot drop the call. */
export function consume (value: unknown): void { sink = value }
export function lastSink (): unknown { return sink }

export function timePerCall (fn: () => unknown, milliseconds: number): number {
  const warmUntil = performance.now() + Math.min(200, milliseconds / 2)
  while (performance.now() < warmUntil) consume(fn())
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

// Graceful shutdown: readiness fails at once, every answer from then on
// closes its connection, in-flight requests finish with their real answers,
// and connections still open at the deadline are cut.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'

export interface Lifecycle {
  /** True from the moment shutdown begins: readiness fails and connections are closed after each answer. */
  draining: boolean
}

declare module 'fastify' {
  interface FastifyInstance {
    lifecycle: Lifecycle
  }
}

/** After this long, connections still open are cut so that the process exits in time. */
export const FORCE_CLOSE_AFTER_MS = 3000

/**
 * How long errcat keeps serving once draining, before it stops listening and
 * closes idle connections. A gateway reusing a pooled connection in this time
 * gets a real answer with `Connection: close`, and closes it itself; closing
 * at once would cross its request in flight and reset it.
 */
export const DRAIN_GRACE_MS = 1000

async function lifecycle (app: FastifyInstance): Promise<void> {
  app.decorate('lifecycle', { draining: false })
  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, close each connection after its answer instead of keeping it alive, in-flight requests included.
    if (app.lifecycle.draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

export async function shutdown (app: FastifyInstance, forceCloseAfterMs = FORCE_CLOSE_AFTER_MS, graceMs = DRAIN_GRACE_MS): Promise<void> {
  app.lifecycle.draining = true
  const force = setTimeout(() => app.server.closeAllConnections(), forceCloseAfterMs)
  force.unref()
  try {
    if (app.server.listening) await new Promise((resolve) => setTimeout(resolve, graceMs))
    await app.close()
  } finally {
    clearTimeout(force)
  }
}

/** How often the launcher is looked for: a second is soon enough for a person, and costs nothing. */
const LAUNCHER_CHECK_MS = 1000

/**
 * Calls onGone once the process that started this one has exited (the process
 * is then adopted, and its parent id changes). Returns a function that stops watching.
 */
export function watchLauncher (onGone: () => void, everyMs = LAUNCHER_CHECK_MS): () => void {
  const launcher = process.ppid
  const timer = setInterval(() => {
    if (process.ppid === launcher) return
    clearInterval(timer)
    onGone()
  }, everyMs)
  timer.unref()
  return () => { clearInterval(timer) }
}

export default fp(lifecycle, { name: 'lifecycle' })

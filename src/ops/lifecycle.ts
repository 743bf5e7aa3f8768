// Graceful shutdown: readiness fails at once, in-flight requests finish with
// their real answers, and connections are closed instead of waited out.
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

async function lifecycle (app: FastifyInstance): Promise<void> {
  app.decorate('lifecycle', { draining: false })
  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, close each connection after its answer instead of keeping it alive, in-flight requests included.
    if (app.lifecycle.draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

export async function shutdown (app: FastifyInstance, forceCloseAfterMs = FORCE_CLOSE_AFTER_MS): Promise<void> {
  app.lifecycle.draining = true
  const force = setTimeout(() => app.server.closeAllConnections(), forceCloseAfterMs)
  force.unref()
  try {
    await app.close()
  } finally {
    clearTimeout(force)
  }
}

export default fp(lifecycle, { name: 'lifecycle' })

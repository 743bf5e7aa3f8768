// Graceful shutdown: readiness fails at once, in-flight requests finish with
// their real answers, and connections are closed instead of waited out.
import type { FastifyInstance } from 'fastify'

/** After this long, connections still open are cut so that the process exits in time. */
export const FORCE_CLOSE_AFTER_MS = 3000

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

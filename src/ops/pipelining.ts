// Back-pressure per connection. A client may pipeline HTTP/1.1 requests, but
// one that never reads its answers must not hold the server: Node stops
// reading such a connection only after it has parsed everything already
// received, which can be thousands of requests, each alive until its answer
// is flushed. Past a bound of unanswered requests, the connection is closed
// and its remaining requests are dropped before any work is done for them.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Socket } from 'node:net'

/**
 * Unanswered requests one connection may have. Gateways send one request at a
 * time per connection; a client that pipelines a burst larger than this in one
 * go is closed too, as one that does not read.
 */
export const PIPELINE_LIMIT = 128

async function pipelining (app: FastifyInstance): Promise<void> {
  const unanswered = new WeakMap<Socket, number>()
  app.addHook('onRequest', (request, reply, done) => {
    const socket = request.raw.socket
    const count = (unanswered.get(socket) ?? 0) + 1
    unanswered.set(socket, count)
    if (count <= PIPELINE_LIMIT) {
      done()
      return
    }
    if (count === PIPELINE_LIMIT + 1) {
      request.log.warn({ unanswered: PIPELINE_LIMIT }, 'closing a connection whose client does not read its answers')
      socket.destroy()
    }
    // The connection is gone: nothing more is done or written for its requests.
    reply.hijack()
    done()
  })
  app.addHook('onResponse', (request, _reply, done) => {
    const socket = request.raw.socket
    unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1)
    done()
  })
}

export default fp(pipelining, { name: 'pipelining' })

// Back-pressure per connection. A client may pipeline HTTP/1.1 requests, but
// one that never reads its answers must not hold the server: Node stops
// reading such a connection only after it has parsed everything already
// received (a 64 KiB read holds well over a thousand small requests), each
// alive until its answer is flushed. Past a bound of unanswered requests the
// connection is closed, and the requests still parsed from it are dropped in
// the server's own request listener, before Fastify makes a request, a reply
// or a logger for them.
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerOptions, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * Unanswered requests one connection may have. Gateways send one request at a
 * time per connection; a client that pipelines a burst larger than this in one
 * go is closed too, as one that does not read.
 */
export const PIPELINE_LIMIT = 128

export interface BackPressureOptions {
  /** Node's own server options (timeouts, header limits). */
  http: ServerOptions
  /** Called once per connection closed for not reading its answers. */
  onClose: () => void
}

/** Node's HTTP server with `handler` behind a bound on each connection's unanswered requests. */
export function createServerWithBackPressure (handler: RequestListener, options: BackPressureOptions): Server {
  const unanswered = new WeakMap<Socket, number>()
  const listener = (request: IncomingMessage, response: ServerResponse): void => {
    const socket = request.socket
    const count = (unanswered.get(socket) ?? 0) + 1
    unanswered.set(socket, count)
    if (count > PIPELINE_LIMIT) {
      if (count === PIPELINE_LIMIT + 1) {
        options.onClose()
        socket.destroy()
      }
      return
    }
    // 'close' follows every response, sent or cut short.
    response.once('close', () => { unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1) })
    handler(request, response)
  }
  return createServer(options.http, listener)
}

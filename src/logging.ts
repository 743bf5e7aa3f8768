// Fastify's log lines, replaced: one completion line per request, with the
// route template (never the raw URL a client typed), status and duration,
// plus what the route chose to record (a classification's outcome). One line
// carries every fact once: each line is a write the process pays for.
// No bodies and no headers are ever logged.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify'

export const REQUEST_ID_LOG_LABEL = 'request_id'

declare module 'fastify' {
  interface FastifyRequest {
    /** Bounded facts a route adds to the request's completion line. */
    logFacts: Record<string, unknown> | null
  }
}

export class ErrcatLogController extends LogController {
  constructor () {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL })
  }

  override incomingRequest (): void {
    // One line per request is enough: the completion line says everything.
  }

  override routeNotFound (): void {
    // The completion line records the 404.
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line: Record<string, unknown> = {
      method: request.method,
      route: request.routeOptions.url ?? '(no route)',
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100
    }
    if (request.logFacts !== null) Object.assign(line, request.logFacts)
    if (error === null || error === undefined) request.log.info(line, 'request completed')
    else request.log.error({ ...line, err: error }, 'request failed')
  }
}

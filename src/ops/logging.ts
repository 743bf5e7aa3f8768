// One JSON line per request, written by pino when the request completes, with
// the route template (never the raw URL a client typed), status and duration,
// plus a classification's outcome. Fastify's own lines per request (incoming,
// route not found) are left out: the completion line says it all.
// No bodies and no headers are ever logged.
import { LogController, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify'
import type { DestinationStream } from 'pino'
import { codesIgnoringCase } from '../catalog/codes.js'
import type { Catalog } from '../catalog/types.js'
import type { Classification } from '../engine/schemas.js'
import '../http/request-context.js'
import '../http/routes/classify.js'

export const REQUEST_ID_LOG_LABEL = 'request_id'
export const UNMATCHED_ROUTE = '(no route)'
/** The route a log line names for a connection refused before there was a request. */
export const CLIENT_ERROR_ROUTE = '(client error)'

/** What a completion line records of a classification: bounded values only. */
export interface Outcome {
  source: string | null
  /** Only a code the catalog knows: a raw upstream code is body content. */
  code: string | null
  normalized_code: string
  matched_by: string
}

export function outcomeOf (catalog: Catalog, result: Classification): Outcome {
  const known = result.code !== null && codesIgnoringCase(catalog, result.code).length > 0
  return { source: result.source, code: known ? result.code : null, normalized_code: result.normalized_code, matched_by: result.matched_by }
}

export class CompletionLineController extends LogController {
  constructor () {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL })
  }

  override incomingRequest (): void {}

  override routeNotFound (): void {}

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line: Record<string, unknown> = {
      method: request.method,
      route: request.routeOptions.url ?? UNMATCHED_ROUTE,
      status: reply.statusCode,
      duration_ms: Math.round(reply.elapsedTime * 100) / 100
    }
    const classified = request.classification ?? null
    if (Array.isArray(classified)) line.classifications = classified.map((result) => outcomeOf(request.catalog, result))
    else if (classified !== null) line.classification = outcomeOf(request.catalog, classified as Classification)
    if (error === null || error === undefined) {
      request.log.info(line, 'request completed')
    } else {
      request.log.error({ ...line, err: error }, 'request failed')
    }
  }
}

export interface LoggingOptions {
  level: string
  /** Where lines go; stdout by default, made readable by pino-pretty when stdout is a terminal. */
  stream?: DestinationStream | undefined
}

/** Fastify's logger options: pino at the level asked, with the completion line. */
export function loggerOptions (options: LoggingOptions): Pick<FastifyServerOptions, 'logger' | 'logController'> {
  const base = { level: options.level }
  const logger = options.stream !== undefined
    ? { ...base, stream: options.stream }
    : process.stdout.isTTY === true
      ? { ...base, transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss.l' } } }
      : base
  return { logger, logController: new CompletionLineController() }
}

// Turns every error, Fastify's own included, into an RFC 9457 problem answer.
// A 5xx never carries the exception's message or stack.
import { STATUS_CODES } from 'node:http'
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { buildProblem, ProblemError, sendProblem } from '../problems.js'
import { REQUEST_ID_HEADER } from '../request-id.js'

/** Longest path parameter the router accepts (a catalog code is far shorter). */
export const MAX_PARAM_LENGTH = 128

const slugFor: Record<number, string> = {
  400: 'bad-request',
  404: 'not-found',
  405: 'method-not-allowed',
  406: 'not-acceptable',
  408: 'request-timeout',
  413: 'payload-too-large',
  414: 'uri-too-long',
  415: 'unsupported-media-type',
  431: 'request-header-fields-too-large',
  500: 'internal',
  503: 'unavailable'
}

function titleFor (status: number): string {
  return STATUS_CODES[status] ?? 'Error'
}

/** Fastify's validation errors name the part and the field: "querystring/status must be <= 599". */
function validationProblem (error: FastifyError): { detail: string, field?: string } {
  const first = error.validation?.[0]
  if (first === undefined) return { detail: error.message }
  const params = first.params as Record<string, unknown>
  const path = first.instancePath.split('/').filter(Boolean)
  if (typeof params.missingProperty === 'string') path.push(params.missingProperty)
  const field = path.join('.')
  const part = error.validationContext ?? 'request'
  const message = first.message ?? 'is invalid'
  return field === ''
    ? { detail: `The ${part} ${message}.` }
    : { detail: `The ${part} field "${field}" ${message}.`, field }
}

function handleError (this: FastifyInstance, error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ProblemError) {
    reply.headers(error.headers)
    return sendProblem(reply, buildProblem(request, error.status, error.slug, error.title, error.detail, error.extras))
  }
  if (error.validation !== undefined) {
    const { detail, field } = validationProblem(error)
    return sendProblem(reply, buildProblem(request, 400, 'validation', 'Request validation failed', detail, field === undefined ? {} : { field }))
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed')
    return sendProblem(reply, buildProblem(request, status, slugFor[status] ?? 'internal', titleFor(status),
      'errcat failed to answer this request. Quote the request_id when reporting it.'))
  }
  // Fastify's own client errors (FST_ERR_*) carry fixed, safe messages.
  const detail = error.code?.startsWith('FST_') === true ? error.message : titleFor(status)
  return sendProblem(reply, buildProblem(request, status, slugFor[status] ?? `http-${status}`, titleFor(status), detail))
}

/**
 * Errors the router raises before any route or hook runs (Fastify's
 * frameworkErrors option). Its defaults echo the raw path; these do not.
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header(REQUEST_ID_HEADER, request.id)
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  const status = tooLong ? 414 : 400
  const detail = tooLong
    ? `A path parameter is longer than ${MAX_PARAM_LENGTH} characters.`
    : 'The URL is not valid: it has a malformed percent-encoding.'
  sendProblem(reply, buildProblem(request, status, slugFor[status] as string, titleFor(status), detail))
  request.log.info({ method: request.method, route: '(no route)', status }, 'request completed')
  return reply
}

async function problemHandling (app: FastifyInstance): Promise<void> {
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => sendProblem(reply, buildProblem(request, 404, 'not-found', 'Not Found',
    `No route ${request.method} ${request.url.split('?', 1)[0]?.slice(0, 200) ?? ''}. GET /openapi.json lists every route.`)))
}

export default fp(problemHandling, { name: 'problem-handling' })

// Turns every error, Fastify's own included, into an RFC 9457 problem answer.
// A 5xx never carries the exception's message or stack.
import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { CODE_LENGTH_LIMIT, NOT_FOUND_PATH_LIMIT } from '../engine/limits.js'
import { randomUUID } from 'node:crypto'
import type { Duplex } from 'node:stream'
import { renderProblem } from '../engine/text.js'
import { prefersText, sendText } from './negotiation.js'
import { buildProblem, PROBLEM_CONTENT_TYPE, problemForStatus, ProblemError, PROBLEMS, problemType, sendProblem, type Problem, type ProblemKind } from './problems.js'
import { REQUEST_ID_HEADER } from './request-id.js'

/** A problem as application/problem+json, or as text for a client that prefers it (`?format=text`, Accept: text/plain). */
export function replyWithProblem (request: FastifyRequest, reply: FastifyReply, problem: Problem): FastifyReply {
  return prefersText(request) ? sendText(reply.code(problem.status), renderProblem(problem)) : sendProblem(reply, problem)
}

/** Fastify's validation errors name the part and the field: "querystring/status must be <= 599". */
function validationProblem (error: FastifyError): { detail: string, field?: string, valid_values?: string[] } {
  const first = error.validation?.[0]
  if (first === undefined) return { detail: error.message }
  const params = first.params as Record<string, unknown>
  const path = first.instancePath.split('/').filter(Boolean)
  if (typeof params.missingProperty === 'string') path.push(params.missingProperty)
  const field = path.join('.')
  const part = error.validationContext ?? 'request'
  // Ajv's "must be equal to one of the allowed values" does not say which: name them.
  const allowed = Array.isArray(params.allowedValues) ? params.allowedValues.map(String) : undefined
  const message = allowed === undefined ? first.message ?? 'is invalid' : `must be one of ${allowed.join(', ')}`
  const extras = allowed === undefined ? {} : { valid_values: allowed }
  return field === ''
    ? { detail: `The ${part} ${message}.`, ...extras }
    : { detail: `The ${part} field "${field}" ${message}.`, field, ...extras }
}

function handleError (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (error instanceof ProblemError) {
    reply.headers(error.headers)
    return replyWithProblem(request, reply, buildProblem(request, error.problem, error.detail, error.extras))
  }
  if (error.validation !== undefined) {
    const { detail, ...extras } = validationProblem(error)
    return replyWithProblem(request, reply, buildProblem(request, PROBLEMS.validation, detail, extras))
  }
  const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500
  if (status >= 500) {
    request.log.error({ err: error }, 'request failed')
    return replyWithProblem(request, reply, buildProblem(request, PROBLEMS.internal,
      'errcat failed to answer this request. Quote the request_id when reporting it.', {}, status))
  }
  const problem = problemForStatus(status)
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // Closing at once would reset a client still sending its body, which then
    // sees EPIPE instead of this 413: Node reads the rest of the body and
    // discards it before the next request, and requestTimeout bounds how long.
    reply.removeHeader('connection')
  }
  // Fastify's own client errors (FST_*) carry fixed, safe messages.
  const detail = error.code?.startsWith('FST_') === true ? error.message : problem.title
  return replyWithProblem(request, reply, buildProblem(request, problem, detail, {}, status))
}

/**
 * Errors the router raises before any route or hook runs (Fastify's
 * frameworkErrors option). Its defaults echo the raw path; these do not.
 */
export function frameworkErrors (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  reply.header(REQUEST_ID_HEADER, request.id)
  const tooLong = error.code === 'FST_ERR_MAX_PARAM_LENGTH'
  const problem = tooLong
    ? buildProblem(request, PROBLEMS.uriTooLong, `A path parameter is longer than ${CODE_LENGTH_LIMIT} characters.`)
    : buildProblem(request, PROBLEMS.badRequest, 'The URL is not valid: it has a malformed percent-encoding.')
  replyWithProblem(request, reply, problem)
  // No route ran, so Fastify writes no completion line for this request.
  request.log.info({ method: request.method, route: '(no route)', status: problem.status }, 'request completed')
  return reply
}

/** What Node's HTTP parser met before any request existed (a Node clientError). */
export interface ClientError {
  code?: string
}

/**
 * Answers the errors Node meets before Fastify has a request: a malformed
 * request line or framing, headers over the limit, a request that did not
 * arrive in time. The same RFC 9457 shape as every other answer, with its own
 * x-request-id; the connection is then closed, as Node and Fastify do. Returns
 * the answer written, or null when the socket was already gone.
 */
export function answerClientError (error: ClientError, socket: Duplex): Problem | null {
  if (error.code === 'ECONNRESET') return null
  const kind = error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
    ? PROBLEMS.requestTimeout
    : error.code === 'HPE_HEADER_OVERFLOW' ? PROBLEMS.headersTooLarge : PROBLEMS.badRequest
  const detail = kind === PROBLEMS.requestTimeout
    ? 'The request did not arrive in time; send it whole, on a new connection.'
    : kind === PROBLEMS.headersTooLarge ? 'The request\'s headers are too large.' : 'The request is not valid HTTP/1.1.'
  return answerOnSocket(kind, detail, socket)
}

/** Answers a CONNECT request, which Node hands over without a response to write: errcat is no proxy. */
export function answerConnect (socket: Duplex): Problem | null {
  return answerOnSocket(PROBLEMS.badRequest, 'errcat is not a proxy: it does not take CONNECT.', socket)
}

function answerOnSocket (kind: ProblemKind, detail: string, socket: Duplex): Problem | null {
  if (socket.destroyed) return null
  const problem: Problem = { type: problemType(kind), title: kind.title, status: kind.status, detail, instance: '', request_id: randomUUID() }
  if (socket.writable) {
    const body = JSON.stringify(problem)
    socket.write(`HTTP/1.1 ${kind.status} ${kind.title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\n${REQUEST_ID_HEADER}: ${problem.request_id}\r\nConnection: close\r\n\r\n${body}`)
  }
  socket.destroy()
  return problem
}

async function problemHandling (app: FastifyInstance): Promise<void> {
  app.setErrorHandler(handleError)
  app.setNotFoundHandler((request, reply) => replyWithProblem(request, reply, buildProblem(request, PROBLEMS.notFound,
    `No route ${request.method} ${request.url.split('?', 1)[0]?.slice(0, NOT_FOUND_PATH_LIMIT) ?? ''}. GET /openapi.json lists every route.`)))
}

export default fp(problemHandling, { name: 'problem-handling' })

// Every problem errcat answers, in one registry, as fastify keeps its errors in
// lib/errors.js. Each is an RFC 9457 problem (application/problem+json) whose
// `type` is a URN: a stable identifier, never fetched. The OpenAPI description
// and the README list exactly these; a test holds the three together.
// No Fastify at run time here: the CLI prints some of these problems too.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { ECHOED_PATH_LIMIT } from '../engine/limits.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'
const TYPE_PREFIX = 'urn:errcat:problem:'

export interface ProblemKind {
  /** The last part of the type URN. */
  slug: string
  status: number
  title: string
  /** When errcat answers it, for the README and the OpenAPI description. */
  meaning: string
}

function kind (slug: string, status: number, title: string, meaning: string): ProblemKind {
  return Object.freeze({ slug, status, title, meaning })
}

export const PROBLEMS = Object.freeze({
  badRequest: kind('bad-request', 400, 'Bad Request', 'The request is malformed: a bad URL, an unreadable JSON body.'),
  validation: kind('validation', 400, 'Request validation failed', 'A parameter, header or body field is invalid; `field` names it.'),
  unknownSource: kind('unknown-source', 400, 'Unknown source', 'The source is not in the catalog; `valid_values` lists the ids.'),
  notFound: kind('not-found', 404, 'Not Found', 'No route has this method and path.'),
  methodNotAllowed: kind('method-not-allowed', 405, 'Method Not Allowed', 'The path exists, but not with this method; `Allow` lists the methods it takes.'),
  requestTimeout: kind('request-timeout', 408, 'Request Timeout', 'The request, body included, did not arrive within 10 s; the connection is closed.'),
  unknownCode: kind('unknown-code', 404, 'Unknown code', 'No source knows the code; `suggestions` lists the nearest known codes.'),
  payloadTooLarge: kind('payload-too-large', 413, 'Payload Too Large', 'The body is larger than 1 MiB.'),
  uriTooLong: kind('uri-too-long', 414, 'URI Too Long', 'A path parameter is longer than 128 characters.'),
  unsupportedMediaType: kind('unsupported-media-type', 415, 'Unsupported Media Type', 'The body\'s content type is not one the route takes.'),
  headersTooLarge: kind('header-fields-too-large', 431, 'Request Header Fields Too Large', 'The request\'s headers are larger than 16 KiB; the connection is closed.'),
  internal: kind('internal', 500, 'Internal Server Error', 'errcat failed; the answer says nothing internal. Quote the request_id.'),
  overloaded: kind('overloaded', 503, 'Service Unavailable', 'errcat sheds load; Retry-After says when to come back. Fall back at once.'),
  shuttingDown: kind('shutting-down', 503, 'Shutting down', 'errcat is shutting down and takes no new work (readiness).')
} satisfies Record<string, ProblemKind>)

export const PROBLEM_KINDS: readonly ProblemKind[] = Object.freeze(Object.values(PROBLEMS))

export function problemType (problem: ProblemKind): string {
  return TYPE_PREFIX + problem.slug
}

/** The problem errcat answers for a client error Fastify raised with this status. */
export function problemForStatus (status: number): ProblemKind {
  const found = [PROBLEMS.badRequest, PROBLEMS.notFound, PROBLEMS.methodNotAllowed, PROBLEMS.payloadTooLarge, PROBLEMS.uriTooLong, PROBLEMS.unsupportedMediaType]
    .find((problem) => problem.status === status)
  return found ?? (status >= 500 ? PROBLEMS.internal : PROBLEMS.badRequest)
}

export const Problem = Type.Object({
  type: Type.String({ enum: PROBLEM_KINDS.map(problemType), description: 'A URN naming the problem type.' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String(),
  instance: Type.String({ description: 'The request path this problem answers.' }),
  request_id: Type.String({ description: 'The x-request-id of the request; quote it when reporting.' }),
  suggestions: Type.Optional(Type.Array(Type.String(), { description: 'Nearest known codes, for an unknown code.' })),
  valid_values: Type.Optional(Type.Array(Type.String(), { description: 'The accepted values, for a field that takes one of a set.' })),
  field: Type.Optional(Type.String({ description: 'The request field that failed validation.' }))
}, {
  $id: 'Problem',
  description: 'An RFC 9457 problem details object, served as application/problem+json.'
})
export type Problem = Static<typeof Problem>

/** Extra members some problems carry. */
export type ProblemExtras = Pick<Problem, 'suggestions' | 'valid_values' | 'field'>

/** An error a route throws to answer with a specific problem. */
export class ProblemError extends Error {
  constructor (
    readonly problem: ProblemKind,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(detail)
    this.name = 'ProblemError'
  }
}

/** The problem a request gets; `status` defaults to the kind's own. */
export function buildProblem (request: FastifyRequest, problem: ProblemKind, detail: string, extras: ProblemExtras = {}, status = problem.status): Problem {
  // The path only: a query string may hold anything a client typed.
  const path = request.url.split('?', 1)[0] ?? '/'
  return {
    type: problemType(problem),
    title: problem.title,
    status,
    detail,
    instance: path.length > ECHOED_PATH_LIMIT ? path.slice(0, ECHOED_PATH_LIMIT) + '...' : path,
    request_id: request.id,
    ...extras
  }
}

export function sendProblem (reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

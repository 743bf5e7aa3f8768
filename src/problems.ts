// RFC 9457 problem details: every error errcat itself answers has this shape.
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Problem } from './schemas.js'

export const PROBLEM_CONTENT_TYPE = 'application/problem+json'

/** Problem types are URNs: stable identifiers, never fetched. */
export function problemType (slug: string): string {
  return `urn:errcat:problem:${slug}`
}

/** Extra members some problems carry. */
export type ProblemExtras = Pick<Problem, 'suggestions' | 'valid_values' | 'field'>

/** An error a route throws to answer with a specific problem. */
export class ProblemError extends Error {
  constructor (
    readonly status: number,
    readonly slug: string,
    readonly title: string,
    readonly detail: string,
    readonly extras: ProblemExtras = {},
    readonly headers: Record<string, string> = {}
  ) {
    super(detail)
    this.name = 'ProblemError'
  }
}

const MAX_INSTANCE_LENGTH = 256

export function buildProblem (
  request: FastifyRequest, status: number, slug: string, title: string, detail: string, extras: ProblemExtras = {}
): Problem {
  // The path only: a query string may hold anything a client typed.
  const path = request.url.split('?', 1)[0] ?? '/'
  return {
    type: problemType(slug),
    title,
    status,
    detail,
    instance: path.length > MAX_INSTANCE_LENGTH ? path.slice(0, MAX_INSTANCE_LENGTH) + '...' : path,
    request_id: request.id,
    ...extras
  }
}

export function sendProblem (reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type(PROBLEM_CONTENT_TYPE).send(problem)
}

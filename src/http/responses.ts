// Response definitions in OpenAPI's shape, which Fastify also serializes by:
// problems are application/problem+json, catalog answers JSON or text.
import { Type, type TSchema } from '@sinclair/typebox'
import { PROBLEM_CONTENT_TYPE } from './problems.js'

/** A problem answer, or its text rendering for a client that prefers text (Accept: text/plain or ?format=text). */
export function problem (description: string) {
  return {
    description,
    content: {
      [PROBLEM_CONTENT_TYPE]: { schema: Type.Ref('Problem') },
      'text/plain': { schema: Type.String({ description: 'The same problem as text: title and detail, then the request id.' }) }
    }
  }
}

export function json (schema: TSchema, description: string) {
  return { description, content: { 'application/json': { schema } } }
}

/** JSON by default; aligned text for terminals (Accept: text/plain or ?format=text). */
export function jsonOrText (schema: TSchema, description: string) {
  return {
    description,
    content: {
      'application/json': { schema },
      'text/plain': { schema: Type.String({ description: 'The same answer as aligned text, wrapped at 80 columns; a token longer than that (a URL, a long code) is never cut.' }) }
    }
  }
}

export const notModified = Type.Null({ description: 'The client\'s cached copy (If-None-Match) is current; no body.' })

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false for a route that load shedding never answers, such as liveness and metrics. */
    shed?: boolean
  }
}

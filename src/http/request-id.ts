// Request ids: a well-formed incoming x-request-id is kept so that a caller's
// correlation id survives; anything else is replaced and never echoed.
import { randomUUID } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const REQUEST_ID_HEADER = 'x-request-id'
const wellFormed = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * Fastify's genReqId. Node joins a repeated x-request-id into "a, b", which
 * fails the pattern, so a duplicated header is replaced too.
 */
export function requestIdFor (request: IncomingMessage): string {
  const incoming = request.headers[REQUEST_ID_HEADER]
  return typeof incoming === 'string' && wellFormed.test(incoming) ? incoming : randomUUID()
}

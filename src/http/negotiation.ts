// Content negotiation between JSON and terminal text (negotiator), and
// conditional GETs keyed by the catalog version.
import Negotiator from 'negotiator'
import { Type } from '@sinclair/typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { StringEnum } from '../catalog/typebox.js'
import { NEGOTIATED_HEADER_LIMIT } from '../engine/limits.js'

export const FORMATS = ['json', 'text'] as const
export type Format = typeof FORMATS[number]

export const FormatQuery = Type.Optional(StringEnum(FORMATS, {
  description: 'text answers aligned plain text for terminals; the Accept header (text/plain) does the same.'
}))

const OFFERED = ['application/json', 'text/plain']

/** `?format=` wins; else the Accept header; JSON when the client does not care. */
export function preferredFormat (request: FastifyRequest, explicit: Format | undefined): Format {
  if (explicit !== undefined) return explicit
  const accept = request.headers.accept
  if (accept === undefined || accept.length > NEGOTIATED_HEADER_LIMIT) return 'json'
  return new Negotiator({ headers: { accept } }).mediaType(OFFERED) === 'text/plain' ? 'text' : 'json'
}

/**
 * For answers that have no format parameter of their own (errors, unmatched
 * routes): a valid `?format=` still wins, else the Accept header.
 */
export function prefersText (request: FastifyRequest): boolean {
  // The router's own errors come before any query is parsed.
  const query = request.query as { format?: unknown } | null
  const format = query === null ? new URLSearchParams(request.url.split('?')[1] ?? '').get('format') : query.format
  return preferredFormat(request, FORMATS.find((known) => known === format)) === 'text'
}

/** Catalog answers may be cached briefly, then revalidated by ETag. */
export const CACHE_CONTROL = 'public, max-age=60, must-revalidate'

/**
 * Sets ETag and Cache-Control for an answer that depends only on the URL, the
 * format and the catalog. Returns true when the client's copy is current, after
 * answering 304 itself.
 */
export function answeredFromCache (request: FastifyRequest, reply: FastifyReply, catalogVersion: string, format: Format): boolean {
  const etag = `"${catalogVersion}-${format}"`
  reply.header('etag', etag).header('cache-control', CACHE_CONTROL).header('vary', 'accept')
  const ifNoneMatch = request.headers['if-none-match']
  if (ifNoneMatch === undefined || ifNoneMatch.length > NEGOTIATED_HEADER_LIMIT) return false
  const current = ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`
  })
  if (current) reply.code(304).send()
  return current
}

export function sendText (reply: FastifyReply, text: string): FastifyReply {
  return reply.type('text/plain; charset=utf-8').send(text)
}

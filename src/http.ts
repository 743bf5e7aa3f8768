// Small HTTP helpers the read routes share: content negotiation between JSON
// and terminal text, and conditional GETs keyed by the catalog version.
import Negotiator from 'negotiator'
import type { FastifyReply, FastifyRequest } from 'fastify'

export type Format = 'json' | 'text'
const offered = ['application/json', 'text/plain']

/** `?format=` wins; else the Accept header; JSON when the client does not care. */
export function preferredFormat (request: FastifyRequest, explicit: Format | undefined): Format {
  if (explicit !== undefined) return explicit
  const accept = request.headers.accept
  if (accept === undefined || accept.length > 1024) return 'json'
  return formatForAccept(accept)
}

/** How many distinct Accept headers keep their answer. */
export const ACCEPT_MEMO_LIMIT = 256
const formatByAccept = new Map<string, Format>()

/**
 * The format an Accept header asks for. Clients send the same one or two
 * values on every request, and negotiating one costs 2 to 5 µs (an axios
 * default is the dearest), so each answer is kept; past ACCEPT_MEMO_LIMIT
 * distinct values, new ones are negotiated every time, and a client cannot
 * grow the memo.
 */
export function formatForAccept (accept: string): Format {
  let format = formatByAccept.get(accept)
  if (format === undefined) {
    format = new Negotiator({ headers: { accept } }).mediaType(offered) === 'text/plain' ? 'text' : 'json'
    if (formatByAccept.size < ACCEPT_MEMO_LIMIT) formatByAccept.set(accept, format)
  }
  return format
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
  if (ifNoneMatch === undefined || ifNoneMatch.length > 1024) return false
  const current = ifNoneMatch.split(',').some((tag) => {
    const trimmed = tag.trim()
    return trimmed === '*' || trimmed === etag || trimmed === `W/${etag}`
  })
  if (current) reply.code(304).send()
  return current
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8'

/**
 * Sends JSON already serialized (see render/json.ts), which Fastify sends as
 * it is: a string, or the UTF-8 bytes of a batch answer written item by
 * item. For a single answer the string was as fast as bytes or faster,
 * measured interleaved request by request in one server, even for a lookup
 * answer kept as bytes.
 */
export function sendJson (reply: FastifyReply, json: string | Buffer): FastifyReply {
  return reply.type(JSON_CONTENT_TYPE).send(json)
}

export function sendText (reply: FastifyReply, text: string): FastifyReply {
  return reply.type('text/plain; charset=utf-8').send(text)
}

// The upstream response headers errcat reads. A gateway forwards them with an
// x-upstream- prefix, so they cannot be mistaken for its own request's headers.
import { HEADER_VALUE_LIMIT } from './limits.js'

/** Upstream headers by lowercased name, each value bounded. */
export type UpstreamHeaders = Record<string, string>
export const UPSTREAM_PREFIX = 'x-upstream-'
/** How many headers a response may have that errcat looks at. */
const HEADERS_READ = 64

/** Headers as callers hold them: a plain object with names in any case, or a fetch Headers. */
export type HeadersLike = Readonly<Record<string, string | readonly string[] | undefined>> | Headers

function bound (value: string): string {
  return value.length > HEADER_VALUE_LIMIT ? value.slice(0, HEADER_VALUE_LIMIT) : value
}

/**
 * The upstream headers errcat knows, out of `headers`: names in any case,
 * with or without the x-upstream- prefix, values cut to HEADER_VALUE_LIMIT.
 * Other headers are ignored. `prefixedOnly` reads a Node request's headers,
 * named in lowercase, and only those with the prefix.
 */
export function readUpstreamHeaders (headers: HeadersLike | undefined, known: ReadonlySet<string>, options: { prefixedOnly?: boolean } = {}): UpstreamHeaders {
  // No prototype: a header's name is data.
  const found: UpstreamHeaders = Object.create(null) as UpstreamHeaders
  if (headers === undefined) return found
  const pairs: Iterable<[string, unknown]> = headers instanceof Headers ? headers.entries() : Object.entries(headers)
  let read = 0
  let kept = 0
  for (const [rawName, value] of pairs) {
    if (++read > HEADERS_READ * 4) break
    const name = rawName.toLowerCase()
    const prefixed = name.startsWith(UPSTREAM_PREFIX)
    if (options.prefixedOnly === true && !prefixed) continue
    const bare = prefixed ? name.slice(UPSTREAM_PREFIX.length) : name
    if (!known.has(bare)) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    if (typeof text !== 'string') continue
    if (!Object.hasOwn(found, bare) && ++kept > HEADERS_READ) continue
    found[bare] = bound(text)
  }
  return found
}

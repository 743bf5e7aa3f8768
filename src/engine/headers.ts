// The upstream response headers errcat reads. A gateway forwards them with an
// x-upstream- prefix, so they cannot be mistaken for its own request's headers.
import { HEADER_VALUE_LIMIT } from './limits.js'

export const UPSTREAM_HEADERS = ['retry-after', 'retry-after-ms', 'x-request-id', 'x-should-retry'] as const
export type UpstreamHeaderName = typeof UPSTREAM_HEADERS[number]
/** Upstream headers by lowercased name, each value bounded. */
export type UpstreamHeaders = Partial<Record<UpstreamHeaderName, string>>
export const UPSTREAM_PREFIX = 'x-upstream-'

/** Headers as callers hold them: a plain object with names in any case, or a fetch Headers. */
export type HeadersLike = Readonly<Record<string, string | readonly string[] | undefined>> | Headers

const known = new Set<string>(UPSTREAM_HEADERS)
const PREFIXED = UPSTREAM_HEADERS.map((name) => [name, UPSTREAM_PREFIX + name] as const)

function bound (value: string): string {
  return value.length > HEADER_VALUE_LIMIT ? value.slice(0, HEADER_VALUE_LIMIT) : value
}

/**
 * The upstream headers errcat knows, out of `headers`: names in any case,
 * with or without the x-upstream- prefix, values cut to HEADER_VALUE_LIMIT.
 * Other headers are ignored. `prefixedOnly` reads a Node request's headers,
 * named in lowercase, and only those with the prefix.
 */
export function readUpstreamHeaders (headers: HeadersLike | undefined, options: { prefixedOnly?: boolean } = {}): UpstreamHeaders {
  const found: UpstreamHeaders = {}
  if (headers === undefined) return found
  if (options.prefixedOnly === true && !(headers instanceof Headers)) {
    // Node's request headers are named in lowercase already: read the few names errcat knows.
    for (const [name, prefixed] of PREFIXED) {
      const value = headers[prefixed]
      const text = Array.isArray(value) ? value.join(', ') : value
      if (typeof text === 'string') found[name] = bound(text)
    }
    return found
  }
  const pairs: Iterable<[string, unknown]> = headers instanceof Headers ? headers.entries() : Object.entries(headers)
  for (const [rawName, value] of pairs) {
    const name = rawName.toLowerCase()
    const prefixed = name.startsWith(UPSTREAM_PREFIX)
    if (options.prefixedOnly === true && !prefixed) continue
    const bare = prefixed ? name.slice(UPSTREAM_PREFIX.length) : name
    if (!known.has(bare)) continue
    const text = Array.isArray(value) ? value.join(', ') : value
    if (typeof text === 'string') found[bare as UpstreamHeaderName] = bound(text)
  }
  return found
}

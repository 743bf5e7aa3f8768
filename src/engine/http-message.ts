// A saved HTTP response, as `curl -si` prints it: a status line, header lines,
// a blank line, then the body. errcat reads one so that a person can paste
// what they saw (`errcat classify -`, or POST /classify as message/http)
// instead of taking it apart by hand. No maintained package parses a response
// held as text (Node's llhttp is internal), and the format is small.
import { HEADER_VALUE_LIMIT, MESSAGE_HEADER_LINES_LIMIT } from './limits.js'

export interface HttpMessage {
  status: number
  /** Header values by lowercased name, repeated names joined with ", ", each cut to HEADER_VALUE_LIMIT. */
  headers: Record<string, string>
  contentType: string | null
  body: string
}

const STATUS_LINE = /^HTTP\/\d(?:\.\d)? ([1-5]\d\d)(?: [^\r\n]*)?$/
const HEADER_NAME = /^[!#$%&'*+.^`|~\w-]+$/
/** curl prints a head per interim answer and per redirect it follows; more than this is no real exchange. */
const HEADS_LIMIT = 16

/** True when the text begins as an HTTP/1.x or HTTP/2 response does. */
export function isHttpMessage (text: string): boolean {
  return /^HTTP\/\d(?:\.\d)? [1-5]\d\d\b/.test(text)
}

/** The head of one response: its status, its headers and where its body begins; null when there is no blank line after it. */
function readHead (text: string): { status: number, lines: string[], bodyStart: number } | null {
  const blank = /\r?\n\r?\n/.exec(text)
  const end = blank === null ? text.length : blank.index
  const lines = text.slice(0, end).split(/\r?\n/, MESSAGE_HEADER_LINES_LIMIT + 1)
  const status = STATUS_LINE.exec(lines[0] ?? '')
  if (status === null) return null
  return { status: Number(status[1]), lines: lines.slice(1), bodyStart: blank === null ? text.length : blank.index + blank[0].length }
}

/**
 * The last response in `text` (curl -si shows a 100 Continue, a proxy's
 * "200 Connection established" or a redirect's head before the answer), or
 * null when the text does not begin with a status line. Header lines beyond
 * MESSAGE_HEADER_LINES_LIMIT, and lines that are no header, are ignored.
 */
export function parseHttpMessage (text: string): HttpMessage | null {
  let rest = text
  for (let heads = 0; heads < HEADS_LIMIT; heads++) {
    const head = readHead(rest)
    if (head === null) return null
    const body = rest.slice(head.bodyStart)
    if (isHttpMessage(body)) {
      rest = body
      continue
    }
    // No prototype: a header's name is data.
    const headers: Record<string, string> = Object.create(null) as Record<string, string>
    for (const line of head.lines.slice(0, MESSAGE_HEADER_LINES_LIMIT)) {
      const colon = line.indexOf(':')
      const name = line.slice(0, Math.max(colon, 0)).toLowerCase()
      if (!HEADER_NAME.test(name)) continue
      const value = line.slice(colon + 1).trim()
      const joined = Object.hasOwn(headers, name) ? `${headers[name] as string}, ${value}` : value
      headers[name] = joined.length > HEADER_VALUE_LIMIT ? joined.slice(0, HEADER_VALUE_LIMIT) : joined
    }
    return { status: head.status, headers, contentType: headers['content-type'] ?? null, body }
  }
  return null
}

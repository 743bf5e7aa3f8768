// Reads an upstream error body without trusting it: JSON when it parses,
// SSE data payloads, an HTML page's title, or plain text. Every scan is
// bounded and linear; nothing walks a parsed value recursively.
import type { BodyFormat } from '../catalog/schema.js'
import { parseObjectLiteral } from './literal.js'
import { JSON_DEPTH_LIMIT, PAGE_TEXT_LIMIT, SCAN_LIMIT, SSE_EVENT_NAMES_LIMIT, SSE_LINE_LIMIT } from './limits.js'

export interface ParsedBody {
  format: BodyFormat
  /** The parsed JSON value (for SSE: the error event's data payload), if any. */
  json: unknown
  /** A human-readable text when there is no JSON: the HTML title, or the first line of text. */
  text: string | null
  /** An HTTP status the body itself names, like the "502" in "<title>502 Bad Gateway</title>". */
  statusHint: number | null
  /** The event names a server-sent event stream announced, in order, each once. */
  sseEvents: readonly string[]
  /** The head of the raw body text, for marks only one system writes. */
  raw: string
}

const empty: ParsedBody = { format: 'empty', json: undefined, text: null, statusHint: null, sseEvents: [], raw: '' }

export function parseBody (body: unknown, contentType?: string | null): ParsedBody {
  if (body === undefined || body === null) return empty
  if (typeof body !== 'string') return { ...empty, format: 'json', json: body }
  const parsed = parseText(body, contentType)
  return parsed === empty ? empty : { ...parsed, raw: body.length > SCAN_LIMIT ? body.slice(0, SCAN_LIMIT) : body }
}

function parseText (body: string, contentType: string | null | undefined): ParsedBody {
  const trimmed = body.trim()
  if (trimmed === '') return empty
  const type = (contentType ?? '').toLowerCase()
  const first = trimmed[0]

  if (type.includes('event-stream') || trimmed.startsWith('event:') || trimmed.startsWith('data:')) {
    const sse = parseSse(trimmed)
    if (sse !== null) return sse
  }
  if (first === '{' || first === '[' || first === '"' || type.includes('json')) {
    // JSON nested past any real error body's depth is never parsed, and says nothing.
    if (jsonNestsDeeperThan(trimmed, JSON_DEPTH_LIMIT)) return { ...empty, format: 'text' }
    const json = tryJson(trimmed)
    if (json.ok) return { ...empty, format: 'json', json: json.value }
    if (first === '{') {
      const salvaged = salvageTruncatedJson(trimmed)
      if (salvaged !== null) return { ...empty, format: 'json', json: salvaged }
    }
  }
  if (first !== '<') {
    const sdk = parseSdkErrorText(trimmed)
    if (sdk !== null) return sdk
  }
  if (first === '<' || type.includes('xml')) {
    const xml = parseXmlError(trimmed)
    if (xml !== null) return xml
  }
  if (first === '<' || type.includes('html')) {
    const html = parseHtml(trimmed)
    if (html !== null) return html
  }
  // A text declared as HTML, such as Cloud Storage's escaped sentences, has its character references decoded.
  const text = type.includes('html') ? decodeEntities(firstLine(trimmed)) : firstLine(trimmed)
  return { ...empty, format: 'text', text, statusHint: leadingStatus(text) }
}

/**
 * Whether JSON text opens more than `limit` objects and arrays at once, by one
 * linear pass that skips strings: cheaper than the parse it spares.
 */
export function jsonNestsDeeperThan (text: string, limit: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    if (inString) {
      if (ch === 0x5c) i++ // a backslash escapes the next character
      else if (ch === 0x22) inString = false
    } else if (ch === 0x22) {
      inString = true
    } else if (ch === 0x7b || ch === 0x5b) {
      if (++depth > limit) return true
    } else if (ch === 0x7d || ch === 0x5d) {
      depth--
    }
  }
  return false
}

function tryJson (text: string): { ok: true, value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

// Field scanners for JSON cut off in transit. Each quantifier is bounded and
// its alternatives are disjoint, so a scan is linear in the text scanned.
const salvageScanners = {
  code: /"code"\s{0,16}:\s{0,16}"([A-Za-z][A-Za-z0-9_.:-]{0,127})"/,
  message: /"message"\s{0,16}:\s{0,16}"((?:[^"\\]|\\.){1,512})"/,
  request_id: /"request_id"\s{0,16}:\s{0,16}"([A-Za-z0-9._:-]{1,128})"/,
  status: /"status"\s{0,16}:\s{0,16}"(error)"/
}

/**
 * A JSON object cut off in transit still names its code and message early on.
 * Rebuilds a flat envelope from the complete string fields found, or null.
 */
export function salvageTruncatedJson (text: string): Record<string, unknown> | null {
  const head = text.slice(0, SCAN_LIMIT)
  const found: Record<string, string> = {}
  for (const [name, scanner] of Object.entries(salvageScanners)) {
    const match = scanner.exec(head)
    if (match !== null) found[name] = name === 'message' ? unescapeJsonString(match[1] as string) : match[1] as string
  }
  if (Object.keys(found).length === 0) return null
  const error: Record<string, string> = {}
  if (found.code !== undefined) error.code = found.code
  if (found.message !== undefined) error.message = found.message
  const envelope: Record<string, unknown> = { error }
  if (found.request_id !== undefined) envelope.request_id = found.request_id
  if (found.status !== undefined) envelope.status = found.status
  return envelope
}

function unescapeJsonString (raw: string): string {
  const parsed = tryJson(`"${raw}"`)
  return parsed.ok ? parsed.value as string : raw
}

function firstLine (text: string): string {
  const head = text.length > SCAN_LIMIT ? text.slice(0, SCAN_LIMIT) : text
  const newline = head.indexOf('\n')
  return (newline === -1 ? head : head.slice(0, newline)).trim()
}

/** "502 Bad Gateway" → 502; only a status-like leading number counts. */
export function leadingStatus (text: string | null): number | null {
  if (text === null) return null
  const match = /^(\d{3})(?!\d)/.exec(text)
  if (match === null) return null
  const status = Number(match[1])
  return status >= 400 && status <= 599 ? status : null
}

/**
 * Server-sent events: the data payload after `event: error` wins; else the
 * last data payload that parses as JSON. `data: [DONE]` is the end marker.
 */
function parseSse (text: string): ParsedBody | null {
  const lines = text.slice(0, SCAN_LIMIT).split('\n', SSE_LINE_LIMIT)
  let event = 'message'
  const sseEvents: string[] = []
  let data: string[] = []
  let errorPayload: string | null = null
  let lastPayload: string | null = null
  const dispatch = (): void => {
    if (data.length > 0) {
      const payload = data.join('\n')
      if (payload !== '[DONE]') {
        if (event === 'error' && errorPayload === null) errorPayload = payload
        lastPayload = payload
      }
    }
    event = 'message'
    data = []
  }
  let sawField = false
  for (const raw of lines) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw
    if (line === '') { dispatch(); continue }
    if (line.startsWith(':')) continue
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') {
      event = value
      sawField = true
      if (sseEvents.length < SSE_EVENT_NAMES_LIMIT && !sseEvents.includes(value)) sseEvents.push(value)
    }
    if (field === 'data') { data.push(value); sawField = true }
  }
  dispatch()
  if (!sawField) return null
  const chosen: string | null = errorPayload ?? lastPayload
  if (chosen === null) return { ...empty, format: 'sse', sseEvents }
  const json = tryJson(chosen)
  if (json.ok) return { ...empty, format: 'sse', json: json.value, sseEvents }
  return { ...empty, format: 'sse', text: firstLine(chosen), sseEvents }
}

/** An SDK's lead before the body it prints: "Error code: 429 - ", "429 Too Many Requests ", "429 RESOURCE_EXHAUSTED. ". */
const SDK_LEAD = /(?:^|[^\d])([45]\d\d)(?: [A-Z][A-Za-z_ -]{1,40}\.?)? ?-? ?$/
/** How far into the text the printed body may start. */
const SDK_LEAD_LIMIT = 256

/**
 * An SDK's exception text, as people paste it from logs: a lead naming the
 * status, then the error body as the SDK printed it (JSON, a Python dict repr,
 * a JavaScript object literal), read as that body.
 * `RateLimitError: Error code: 429 - {'error': {...}}` is one.
 */
function parseSdkErrorText (text: string): ParsedBody | null {
  const open = text.slice(0, SDK_LEAD_LIMIT + 1).indexOf('{')
  if (open <= 0) return null
  const lead = SDK_LEAD.exec(text.slice(0, open))
  if (lead === null) return null
  const literal = parseObjectLiteral(text.slice(open, open + SCAN_LIMIT), 0, JSON_DEPTH_LIMIT)
  if (!literal.ok) return null
  return { ...empty, format: 'json', json: literal.value, statusHint: Number(lead[1]) }
}

/**
 * An XML error document, such as `<Error><Code>SlowDown</Code><Message>...</Message></Error>`,
 * read as a flat envelope of its Code, Message and RequestId elements (the
 * first of each). Without a Code, a document whose root element holds a
 * Message is named by that root, as in
 * `<AccessDeniedException><Message>...</Message></AccessDeniedException>`.
 * A root with a namespace prefix has its elements read with that prefix
 * (OData's `<m:Error><m:Code>`). Null when neither names a code.
 */
function parseXmlError (text: string): ParsedBody | null {
  const head = text.slice(0, SCAN_LIMIT)
  const prefix = rootPrefix(head)
  const message = xmlElement(head, `${prefix}Message`)
  const code = xmlElement(head, `${prefix}Code`) ?? (message === null ? null : rootElementName(head))
  if (code === null || !/^[A-Za-z][A-Za-z0-9_.:-]{0,127}$/.test(code)) return null
  const envelope: Record<string, string> = { code }
  if (message !== null) envelope.message = message
  const requestId = xmlElement(head, `${prefix}RequestId`)
  if (requestId !== null) envelope.request_id = requestId
  return { ...empty, format: 'xml', json: envelope }
}

/** The namespace prefix of the root element with its colon, as OData's `<m:Error>` has one, else ''. */
function rootPrefix (xml: string): string {
  return /^\s*(?:<\?xml[^>]{0,256}\?>\s*)?<([A-Za-z][A-Za-z0-9_.-]{0,31}:)[A-Za-z]/.exec(xml)?.[1] ?? ''
}

/** Root elements that hold an error rather than name one. */
const XML_CONTAINERS = new Set(['error', 'errors', 'errorresponse', 'response', 'html'])

/** The name of the first element after any XML declaration, unless it is a mere container. */
function rootElementName (xml: string): string | null {
  const root = /^\s*(?:<\?xml[^>]{0,256}\?>\s*)?<([A-Za-z][A-Za-z0-9_.-]{0,127})[\s>]/.exec(xml)?.[1]
  return root === undefined || XML_CONTAINERS.has(root.toLowerCase()) ? null : root
}

function xmlElement (xml: string, name: string): string | null {
  const open = xml.indexOf(`<${name}>`)
  if (open === -1) return null
  const start = open + name.length + 2
  const end = xml.indexOf(`</${name}>`, start)
  if (end === -1 || end - start > 4096) return null
  const text = decodeEntities(xml.slice(start, end).trim())
  return text === '' ? null : text
}

/** The text of the first <title> (else <h1>) in an HTML page, found with indexOf. */
function parseHtml (text: string): ParsedBody | null {
  const head = text.slice(0, SCAN_LIMIT)
  const lower = asciiLower(head)
  const title = elementText(head, lower, 'title') ?? elementText(head, lower, 'h1')
  if (title === null && !lower.includes('<html') && !lower.includes('<!doctype')) return null
  return { ...empty, format: 'html', text: title, statusHint: leadingStatus(title) }
}

/**
 * Lowercases ASCII letters only, so that every offset found in the result is
 * the same offset in the original: String#toLowerCase turns some characters
 * (such as İ) into two code units.
 */
function asciiLower (text: string): string {
  return text.replace(/[A-Z]+/g, (run) => run.toLowerCase())
}

/** Elements whose content is no text a reader sees. */
const HIDDEN_ELEMENTS = ['style', 'script']

/**
 * The text a reader sees on an HTML page, tags, styles and scripts left out,
 * up to `limit` characters: where a page such as "Please try again in 30
 * seconds." says more than its title. One pass with indexOf.
 */
export function pageText (html: string, limit = PAGE_TEXT_LIMIT): string {
  const lower = asciiLower(html)
  let text = ''
  let at = 0
  // Markup leaves runs of spaces that collapse later: gather more than the limit.
  while (at < html.length && text.length < limit * 4) {
    const open = html.indexOf('<', at)
    text += html.slice(at, open === -1 ? html.length : open)
    if (open === -1) break
    const hidden = HIDDEN_ELEMENTS.find((name) => lower.startsWith(name, open + 1))
    const close = hidden === undefined ? html.indexOf('>', open) : lower.indexOf(`</${hidden}`, open)
    if (close === -1) break
    at = hidden === undefined ? close + 1 : Math.max(close + 1, html.indexOf('>', close) + 1)
    text += ' '
  }
  return decodeEntities(text.replace(/\s+/g, ' ').trim()).slice(0, limit)
}

function elementText (html: string, lower: string, tag: string): string | null {
  const open = lower.indexOf(`<${tag}`)
  if (open === -1) return null
  const start = lower.indexOf('>', open)
  if (start === -1) return null
  const end = lower.indexOf(`</${tag}`, start)
  const inner = html.slice(start + 1, Math.min(end === -1 ? Infinity : end, start + 1 + 512))
  const text = inner.replace(/<[^>]{0,512}>/g, ' ').replace(/\s+/g, ' ').trim()
  return text === '' ? null : decodeEntities(text)
}

/** The named references error pages use in their titles and text; others are left as written. */
const NAMED_ENTITIES: Record<string, string> = Object.fromEntries([
  ['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"], ['nbsp', ' '], ['middot', '·'], ['ndash', '–'],
  ['mdash', '—'], ['hellip', '…'], ['lsquo', '‘'], ['rsquo', '’'], ['ldquo', '“'], ['rdquo', '”'], ['copy', '©']
])
function decodeEntities (text: string): string {
  return text.replace(/&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-z]{2,6}));/g, (entity, decimal?: string, hex?: string, name?: string) => {
    if (name !== undefined) return Object.hasOwn(NAMED_ENTITIES, name) ? NAMED_ENTITIES[name] as string : entity
    const point = decimal !== undefined ? Number(decimal) : parseInt(hex as string, 16)
    return point > 0 && point <= 0x10ffff && (point < 0xd800 || point > 0xdfff) ? String.fromCodePoint(point) : entity
  })
}

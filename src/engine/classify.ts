// The classification engine: plain TypeScript over the catalog indexes, with
// no Fastify in it, so the HTTP routes, the library and the CLI share it.
// What it knows of each platform comes from the catalog.
import type { MessageHint, NormalizedCode, Remediation } from '../catalog/schema.js'
import { codesIgnoringCase, isCommonCode } from '../catalog/codes.js'
import { firstMatchingPattern } from '../catalog/patterns.js'
import type { TemplateIndex } from '../catalog/templates.js'
import type { Catalog, Entry, RateLimitReset, SourceIndex } from '../catalog/types.js'
import { parseBody, type ParsedBody } from './parse.js'
import { extractSignals, type Signals } from './envelope.js'
import { sourceByFingerprint, valueAt, type SourceDecision } from './fingerprint.js'
import { readUpstreamHeaders, type HeadersLike } from './headers.js'
import { matchMessagePattern } from './message-patterns.js'
import { grpcStatusName, normalizedForGrpcStatus, normalizedForOAuthError, normalizedForStatus } from './status.js'
import { adviseRetry } from './retry.js'
import { UnknownSourceError } from './errors.js'
import { DEFAULT_MAX_RETRY_AFTER_S, FIELD_LIMIT, HINT_SCAN_LIMIT, MESSAGE_LIMIT, PARAM_LIMIT, REQUEST_ID_LIMIT } from './limits.js'
import type { Classification, MatchedBy } from './schemas.js'

export type { Classification, MatchedBy } from './schemas.js'

export interface ClassifyInput {
  /** The upstream body: a raw string as received, or an already parsed JSON value. */
  body?: unknown
  /** The upstream body's content type, when known. */
  contentType?: string | null
  /** The upstream HTTP status. */
  status?: number | null
  /**
   * Upstream response headers, names in any case, with or without an
   * x-upstream- prefix. Those errcat knows are read (Retry-After and its kin,
   * rate-limit headers, request ids, and the marks of the catalog's sources);
   * the rest are ignored.
   */
  headers?: HeadersLike
  /** A source id the caller knows sent the error; it wins over detection. */
  source?: string | null
}

export interface ClassifyOptions {
  /** A requested wait longer than this makes the error not retryable. Default 120. */
  maxRetryAfterS?: number
  /** The current time in ms, for Retry-After dates. Default Date.now(). */
  now?: number
}

interface Match {
  entry: Entry | null
  normalized: NormalizedCode
  matchedBy: MatchedBy
  source: string | null
  code: string | null
  params: Record<string, string>
  /** What decided the code. */
  evidence: string | null
}

/** Headers errcat reads whatever the source: retry hints and the common request id. */
export const STANDARD_HEADERS: readonly string[] = ['retry-after', 'retry-after-ms', 'x-ms-retry-after-ms', 'ratelimit', 'ratelimit-reset', 'ratelimit-remaining', 'x-should-retry', 'x-request-id', 'grpc-status', 'grpc-message']

function bounded (text: string | null, limit: number): string | null {
  if (text === null) return null
  return text.length > limit ? text.slice(0, limit) + '…' : text
}

/** Every header name a classification may read, for a catalog. */
const knownHeaders = new WeakMap<Catalog, ReadonlySet<string>>()
export function headerNamesOf (catalog: Catalog): ReadonlySet<string> {
  let names = knownHeaders.get(catalog)
  if (names === undefined) knownHeaders.set(catalog, names = new Set([...STANDARD_HEADERS, ...catalog.headerNames]))
  return names
}

function resetsFor (catalog: Catalog, sourceIndex: SourceIndex | undefined, candidates: readonly string[]): readonly RateLimitReset[] {
  if (sourceIndex !== undefined) return sourceIndex.rateLimitResets
  if (candidates.length === 0) return catalog.rateLimitResets
  return candidates.flatMap((id) => catalog.sources.get(id)?.rateLimitResets ?? [])
}

export function classify (input: ClassifyInput, catalog: Catalog, options: ClassifyOptions = {}): Classification {
  const hinted = input.source ?? null
  if (hinted !== null && !catalog.sources.has(hinted)) throw new UnknownSourceError(hinted, catalog.sourceIds)
  const headers = readUpstreamHeaders(input.headers, headerNamesOf(catalog))
  const parsed = parseBody(input.body, input.contentType)
  const signals = extractSignals(parsed)
  const status = input.status ?? signals.bodyStatus ?? null
  addHeaderCodes(catalog, signals, headers)
  addGrpcHeaders(signals, headers)
  const detected: SourceDecision = hinted !== null
    ? { source: hinted, candidates: [hinted], evidence: `source hint ${hinted}`, generic: false, asService: false }
    : sourceByFingerprint(catalog, { body: parsed, headers, status })

  if (detected.source !== null) addMarkedCodes(catalog.sources.get(detected.source) as SourceIndex, signals, parsed)
  const found = refineContextWindow(findMatch(catalog, signals, status, hinted, detected), signals.message, status)
  const hint = messageHint(catalog, found, signals.message)
  const match = hint?.normalized_code === undefined ? found : { ...found, normalized: hint.normalized_code }
  const hintEvidence = match === found ? null : `message says "${hint?.contains ?? ''}": ${match.normalized}`
  const taxonomy = catalog.taxonomy.get(match.normalized)
  const statusDefault = normalizedForStatus(status)
  // An unknown error still gets the retry policy its HTTP status implies.
  const policyCode = match.normalized === 'unknown' && statusDefault !== null ? statusDefault : match.normalized
  // The entry's own policy holds unless its message showed another case, or
  // the entry names no error (an injected fault) and the status says which.
  const entryPolicy = match === found && policyCode === match.normalized ? match.entry?.retry : undefined
  const policy = entryPolicy ?? catalog.taxonomy.get(policyCode)?.retry ?? taxonomyOf(catalog, 'unknown').retry
  const sourceIndex = match.source === null ? undefined : catalog.sources.get(match.source)
  const { evidence: delayEvidence, ...advice } = adviseRetry({
    normalized: policyCode,
    policy,
    backoffPolicy: taxonomyOf(catalog, 'unavailable').retry,
    headers,
    // Reset headers mean what the source that sent them says: the same name
    // is a Unix time at one API and a number of seconds at another.
    resets: resetsFor(catalog, sourceIndex, detected.candidates),
    shouldRetryHeaders: sourceIndex?.shouldRetryHeaders ?? [],
    body: {
      retryAfter: signals.retryAfter,
      retryDelay: signals.retryDelay,
      message: signals.message,
      page: parsed.format === 'html' ? parsed.raw : null,
      retryStrategy: signals.retryStrategy,
      retryable: signals.retryable
    },
    status,
    maxRetryAfterS: options.maxRetryAfterS ?? DEFAULT_MAX_RETRY_AFTER_S,
    now: options.now ?? Date.now()
  })
  const retry = policyCode === match.normalized ? advice : { ...advice, reason: `The error is unknown, so its status ${String(status)} decides the policy: ${advice.reason}` }

  const requestId = bounded(requestIdOf(catalog, headers, sourceIndex) ?? signals.requestId, REQUEST_ID_LIMIT)
  const baseRemediation = match.entry?.remediation ?? taxonomy?.remediation ?? taxonomyOf(catalog, 'unknown').remediation
  const candidates = match.source !== null ? [match.source] : detected.candidates
  // What fitted counts as evidence unless the match named a source it did not point to.
  const fitted = detected.source === match.source || match.source === null || (detected.source === null && detected.candidates.includes(match.source))
  const evidence = [fitted ? detected.evidence : null, match.evidence, hintEvidence, delayEvidence]
    .filter((item): item is string => item !== null)
    .map((item) => bounded(item, FIELD_LIMIT / 16) as string)
  if (sourceIndex?.info.role === 'proxy' && !(detected.asService && detected.source === match.source)) evidence.push(`${sourceIndex.info.name} is a proxy: the error is its own, not the service's behind it`)
  return {
    normalized_code: match.normalized,
    source: match.source,
    code: match.code,
    matched_by: match.matchedBy,
    http_status: status ?? match.entry?.http_status ?? null,
    message: bounded(signals.message, MESSAGE_LIMIT),
    request_id: requestId,
    params: match.params,
    candidates: match.source === null && candidates.length < 2 ? [] : candidates,
    evidence,
    retry,
    remediation: specificRemediation(baseRemediation, match, hint, requestId)
  }
}

/**
 * A gRPC error answered "trailers-only", as proxies answer gRPC calls: HTTP
 * 200 with the status in grpc-status and the text, percent-encoded, in
 * grpc-message. A status or message the body holds comes first.
 */
function addGrpcHeaders (signals: Signals, headers: Readonly<Record<string, string>>): void {
  const status = headers['grpc-status']
  if (signals.grpcStatus === null && status !== undefined) signals.grpcStatus = grpcStatusName(status)
  const message = headers['grpc-message']?.trim()
  if (signals.message === null && message !== undefined && message !== '') signals.message = percentDecoded(message)
}

function percentDecoded (text: string): string {
  try {
    return decodeURIComponent(text)
  } catch {
    return text
  }
}

/** Codes some source's headers name (the text before any colon), after the body's own. */
function addHeaderCodes (catalog: Catalog, signals: Signals, headers: Readonly<Record<string, string>>): void {
  const fromHeaders: string[] = []
  for (const name of catalog.codeHeaders) {
    // A namespace before "#" is not the code, nor what follows ":" or ";":
    // "ns.json10#FooError:http://..." and "Legacy.FooError;Sender" name one code each.
    const value = headers[name]?.split(/[:;]/, 1)[0]?.trim().split('#').pop()
    if (value !== undefined && /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/.test(value) && !fromHeaders.includes(value)) fromHeaders.push(value)
  }
  // A code header names the error as the service means it, before any code in
  // the body, as the SDKs of the services that send one read it.
  if (fromHeaders.length > 0) signals.codes = [...fromHeaders, ...signals.codes.filter((code) => !fromHeaders.includes(code))]
}

/** A code written right after a mark: digits or an identifier. */
const MARKED_CODE = /^\s{0,4}([A-Za-z0-9][A-Za-z0-9_.-]{0,63})/

/**
 * Codes the known source writes outside the envelope, after the envelope's
 * codes: after its marks in the body, such as a page's "errorCode:1015" (the
 * first place of each mark), and at its own paths in a JSON body.
 */
function addMarkedCodes (index: SourceIndex, signals: Signals, parsed: ParsedBody): void {
  const add = (code: string | undefined): void => {
    if (code !== undefined && !signals.codes.includes(code)) signals.codes.push(code)
  }
  for (const mark of index.bodyCodeMarks) {
    const at = parsed.raw.indexOf(mark)
    if (at !== -1) add(MARKED_CODE.exec(parsed.raw.slice(at + mark.length, at + mark.length + 68))?.[1])
  }
  // These paths hold other values too (a Gemini reply that ended well says STOP): only a code the source lists counts.
  for (const path of index.bodyCodePaths) {
    const value = valueAt(parsed.json, path)
    if (typeof value === 'string' && index.byCode.has(value)) add(value)
  }
}

const STANDARD_REQUEST_ID = ['x-request-id']

/** The upstream request id: x-request-id, else the source's own request-id headers, else any source's. */
function requestIdOf (catalog: Catalog, headers: Readonly<Record<string, string>>, source: SourceIndex | undefined): string | null {
  for (const names of [STANDARD_REQUEST_ID, source?.requestIdHeaders ?? [], catalog.requestIdHeaders]) {
    for (const name of names) {
      const value = headers[name]?.trim()
      if (value !== undefined && value !== '') return value
    }
  }
  return null
}

function taxonomyOf (catalog: Catalog, code: NormalizedCode) {
  const found = catalog.taxonomy.get(code)
  /* c8 ignore next */
  if (found === undefined) throw new Error(`taxonomy lacks ${code}`)
  return found
}

function fromEntry (entry: Entry, matchedBy: MatchedBy, evidence: string, params: Record<string, string> = {}): Match {
  return { entry, normalized: entry.normalized_code, matchedBy, source: entry.source, code: entry.code, params, evidence }
}

/**
 * What `lookup` finds in the sources. The preferred (hinted or detected)
 * source's find wins outright; beyond it, a find counts only when exactly one
 * other source has it, so that a collision is never settled by catalog order.
 */
function findIn<T> (order: readonly SourceIndex[], preferred: string | null, lookup: (source: SourceIndex) => T | null): T | null {
  const found: T[] = []
  for (const source of order) {
    const hit = lookup(source)
    if (hit === null) continue
    if (source.info.id === preferred) return hit
    found.push(hit)
  }
  return found.length === 1 ? found[0] as T : null
}

function findMatch (catalog: Catalog, signals: Signals, status: number | null, hinted: string | null, detected: SourceDecision): Match {
  const source = detected.source
  const rawCode = signals.codes[0] ?? signals.grpcStatus
  // A hint confines the search to its source, and candidates to theirs; else every source.
  // Candidates of a generic layout only break ties between the sources that hold a code or message.
  const order = hinted !== null
    ? [catalog.sources.get(hinted) as SourceIndex]
    : detected.candidates.length > 1 && !detected.generic ? detected.candidates.map((id) => catalog.sources.get(id) as SourceIndex) : catalog.sourceList
  const tieBreak = detected.generic ? detected.candidates : []
  const preferred = source ?? (tieBreak.length === 1 ? tieBreak[0] as string : null)

  // 1. Codes: exact spelling first, then case-insensitive.
  for (const code of signals.codes) {
    const found = matchCode(catalog, code, signals.listedCodes.includes(code), source, hinted !== null, order, tieBreak)
    if (found === null) continue
    if (found.entry !== null) return refinedByMessage(catalog, found, signals.message)
    if (found.source !== null) return found
    const worded = wordedAlike(catalog, found, signals.message, order)
    if (worded !== null) return worded
    // The same code in several catalogs and no envelope to settle it: agree or move on.
    if (found.normalized !== 'unknown') return found
  }

  // 2. The source's pattern rules, for codes it does not list one by one. A code's
  // spelling is no mark: without a source, the rules of none apply.
  if (source !== null) {
    const index = catalog.sources.get(source) as SourceIndex
    for (const code of signals.codes) {
      const rule = firstMatchingPattern(index.patterns, code)
      if (rule !== undefined) return { ...fromEntry(rule.entry, 'code_pattern', `code ${code} fits ${source}'s ${rule.entry.code}`), code }
    }
  }

  // 3. Exact message, then 4. message template with its captures. A template
  // is no mark: "{field} is required" fits many systems' words, so another
  // source's never overrides the one detected.
  const templateOrder = source !== null ? [catalog.sources.get(source) as SourceIndex] : order
  const byMessage = (text: string, where: string): Match | null => {
    const exact = findIn(order, preferred, (index) => index.byMessage.get(text) ?? null)
    if (exact !== null) return withRawCode(fromEntry(exact, 'message', `${where}message of ${exact.source}'s ${exact.code}`), rawCode)
    const templated = findIn(templateOrder, preferred, (index) => index.templates.match(text))
    if (templated === null) return null
    const match = fromTemplate(templated)
    return withRawCode({ ...match, evidence: `${where}${match.evidence as string}` }, rawCode)
  }
  const message = signals.message
  const summarized = message === null ? null : byMessage(message, '')
  if (summarized !== null) return summarized
  // The same for the messages of an `errors` list, when the summary matched nothing:
  // a 422 "Validation Failed" whose errors[] say which rule failed.
  for (const detail of signals.detailMessages) {
    const detailed = byMessage(detail, 'errors[].')
    if (detailed !== null) return detailed
  }

  // 5. The envelope type, trusted only in the envelope's own source (or its candidates) and only when the status agrees.
  if (signals.type !== null) {
    const statusSays = normalizedForStatus(status)
    const typed = findIn(source !== null ? [catalog.sources.get(source) as SourceIndex] : order.length < catalog.sourceList.length ? order : [], source,
      (index) => {
        const rule = index.byType.get(signals.type as string)
        return rule !== undefined && (statusSays === null || statusSays === rule.normalized_code || rule.http_status === status) ? rule : null
      })
    if (typed !== null) return withRawCode(fromEntry(typed, 'type', `type ${signals.type} (${typed.source})`), rawCode)
  }

  // gRPC status names, as JSON renderings of a gRPC status carry them.
  if (signals.grpcStatus !== null) {
    // The detected source's own entry for the status name, with its remediation and hints.
    const named = source === null ? undefined : (catalog.sources.get(source) as SourceIndex).byCode.get(signals.grpcStatus)
    if (named !== undefined) return fromEntry(named, 'code', `gRPC status ${signals.grpcStatus} (${named.source})`)
    const normalized = normalizedForGrpcStatus(signals.grpcStatus)
    if (normalized !== null) return { entry: null, normalized, matchedBy: 'code', source, code: signals.grpcStatus, params: {}, evidence: `gRPC status ${signals.grpcStatus}` }
  }

  // OAuth 2.0's codes mean the same from every authorization server, whatever status comes with them.
  if (signals.oauthError !== null) {
    const normalized = normalizedForOAuthError(signals.oauthError) as NormalizedCode
    return { entry: null, normalized, matchedBy: 'code', source, code: signals.oauthError, params: {}, evidence: `OAuth 2.0 error ${signals.oauthError}` }
  }

  const index = source !== null ? catalog.sources.get(source) as SourceIndex : undefined
  const guidance = status !== null ? index?.byStatus.get(status) : undefined
  // 6. Phrasings every gateway needs, such as context-window overflows. A
  // phrase that only repeats the source's own guidance for the status (a
  // proxy's "429 Too Many Requests" page) gives way to that guidance.
  if (message !== null) {
    const pattern = matchMessagePattern(message, status)
    if (pattern !== null && pattern.normalized !== guidance?.normalized_code) {
      return { entry: null, normalized: pattern.normalized, matchedBy: 'message_pattern', source, code: rawCode, params: {}, evidence: `message says "${pattern.phrase}"` }
    }
  }

  // 7. The HTTP status: the source's own guidance for it, else the generic mapping.
  if (status !== null) {
    if (index !== undefined && guidance !== undefined) {
      const named = index.statusesNamingCode.has(guidance) ? guidance.code : null
      return withRawCode(fromEntry(guidance, 'status', `status ${status} (${guidance.source})`), rawCode ?? named)
    }
    const normalized = normalizedForStatus(status)
    if (normalized !== null) return { entry: null, normalized, matchedBy: 'status', source, code: rawCode, params: {}, evidence: `status ${status}` }
  }
  return { entry: null, normalized: 'unknown', matchedBy: 'none', source, code: rawCode, params: {}, evidence: null }
}

/**
 * Platforms fold context-window overflows into their generic invalid-request
 * code or type ("invalid_request also covers context-length"). The
 * phrasing is the more specific signal, so it refines such a match.
 */
function refineContextWindow (match: Match, message: string | null, status: number | null): Match {
  if (match.normalized !== 'invalid_request' || message === null) return match
  const pattern = matchMessagePattern(message, status)
  if (pattern?.normalized !== 'context_length_exceeded') return match
  return { entry: null, normalized: pattern.normalized, matchedBy: 'message_pattern', source: match.source, code: match.code, params: {}, evidence: `message says "${pattern.phrase}"` }
}

/** A template match, its captures bounded. */
function fromTemplate (templated: NonNullable<ReturnType<TemplateIndex['match']>>): Match {
  const params: Record<string, string> = {}
  for (const [name, value] of Object.entries(templated.params)) params[name] = bounded(value, PARAM_LIMIT) as string
  const entry = templated.template.entry
  return fromEntry(entry, 'message_template', `message fits ${entry.source}'s template "${entry.template ?? ''}"`, params)
}

/**
 * A source may word one of its codes' cases apart, as one API's "Request too
 * large" is a rate_limit_exceeded that no wait will cure: the message or
 * template of the code's own source is the more specific match.
 */
function refinedByMessage (catalog: Catalog, found: Match, message: string | null): Match {
  const index = found.source === null || message === null ? undefined : catalog.sources.get(found.source)
  if (index === undefined || message === null) return found
  const exact = index.byMessage.get(message)
  if (exact === found.entry) return found
  if (exact !== undefined) return { ...fromEntry(exact, 'message', `message of ${exact.source}'s ${exact.code}`), code: found.code }
  const templated = index.templates.match(message)
  if (templated === null || templated.template.entry === found.entry) return found
  return { ...fromTemplate(templated), code: found.code }
}

/**
 * A code several sources hold, with nothing to say which sent it, may still be
 * worded as only one of them words it. Its exact message settles the source,
 * as any text only one system writes does. A template only gives the
 * normalized code (a 403 model_not_found "Project … does not have access to
 * model …"): it is no mark, and servers that copy an API's envelope copy the
 * shape of its sentences too.
 */
function wordedAlike (catalog: Catalog, found: Match, message: string | null, order: readonly SourceIndex[]): Match | null {
  const code = found.code
  if (message === null || code === null) return null
  const holding = new Set(codesIgnoringCase(catalog, code, order).map((entry) => entry.source))
  const holders = order.filter((index) => holding.has(index.info.id))
  if (holders.length < 2) return null
  const exact = findIn(holders, null, (index) => index.byMessage.get(message) ?? null)
  if (exact !== null) return { ...fromEntry(exact, 'message', `${found.evidence as string}; message of ${exact.source}'s ${exact.code}`), code }
  const entry = findIn(holders, null, (index) => index.templates.match(message))?.template.entry ?? null
  if (entry === null || entry.normalized_code === found.normalized) return null
  return { ...found, normalized: entry.normalized_code, evidence: `${found.evidence as string}; its message fits ${entry.source}'s template "${entry.template ?? ''}"` }
}

/** A message or type match keeps the platform's raw code when the body had one. */
function withRawCode (match: Match, rawCode: string | null): Match {
  // A type or status rule names no platform code of its own.
  if (match.entry?.kind === 'type' || match.entry?.kind === 'status') return { ...match, code: rawCode }
  return rawCode !== null ? { ...match, code: rawCode } : match
}

/**
 * The entries a code names, in any case. A code that only an `errors` list
 * holds is an API's number, never one a source writes only on its pages.
 */
function entriesFor (catalog: Catalog, code: string, listed: boolean, order: readonly SourceIndex[]): Entry[] {
  const found = codesIgnoringCase(catalog, code, order)
  return listed ? found.filter((entry) => !(catalog.sources.get(entry.source) as SourceIndex).pageCodes.has(entry)) : found
}

function matchCode (catalog: Catalog, code: string, listed: boolean, source: string | null, hinted: boolean, order: readonly SourceIndex[], tieBreak: readonly string[]): Match | null {
  // The envelope's (or the hint's) own source first: exact spelling, then any case.
  if (source !== null) {
    const index = catalog.sources.get(source) as SourceIndex
    const exact = index.byCode.get(code)
    const entry = exact !== undefined && !(listed && index.pageCodes.has(exact)) ? exact : entriesFor(catalog, code, listed, [index])[0]
    if (entry !== undefined) return fromEntry(entry, 'code', `code ${code} (${source})`)
    if (hinted) return null
  }
  const candidates = entriesFor(catalog, code, listed, order)
  if (candidates.length === 0) return null
  // A code many systems send (rate_limited, forbidden, INTERNAL_ERROR) is no mark:
  // only a layout that fits one of the sources that list it settles it, and it
  // never overrides a source the response already named.
  const common = isCommonCode(catalog, code)
  if (common && source !== null) return null
  // The exact spelling narrows the field: QUOTA_EXCEEDED is not quota_exceeded.
  const exact = candidates.filter((entry) => entry.code === code)
  const pool = exact.length > 0 ? exact : candidates
  const sources = [...new Set(pool.map((entry) => entry.source))]
  // Another source's spelling (USER_NOT_FOUND for user_not_found) names it only when the layout fits it too.
  const spelledAlike = exact.length > 0 || order.length < catalog.sourceList.length || sources.every((id) => tieBreak.includes(id))
  const fitting = sources.filter((id) => tieBreak.includes(id))
  if (common) {
    if (fitting.length === 1 && spelledAlike) return fromEntry(pool.find((entry) => entry.source === fitting[0]) as Entry, 'code', `code ${code}, which many systems send, in a layout that fits ${fitting[0] as string}`)
    return unsettled(pool, code, `code ${code}, which many systems send (in ${sources.join(' and ')})`)
  }
  if (sources.length === 1 && !spelledAlike) {
    return { entry: null, normalized: (pool[0] as Entry).normalized_code, matchedBy: 'code', source: null, code, params: {}, evidence: `code ${code}, as ${sources[0] as string} spells ${(pool[0] as Entry).code}` }
  }
  if (sources.length === 1) return fromEntry(pool[0] as Entry, 'code', `code ${code} only in ${sources[0] as string}'s catalog`)
  // The layout settles a code several sources hold when it fits exactly one of them.
  if (fitting.length === 1) return fromEntry(pool.find((entry) => entry.source === fitting[0]) as Entry, 'code', `code ${code} in ${sources.join(' and ')}, of which the layout fits ${fitting[0] as string}`)
  // Several platforms share the code and nothing says which sent it.
  return unsettled(pool, code, `code ${code} in ${sources.join(' and ')}`)
}

/** A code that names no source: its normalized code when the entries agree on one, else unknown. */
function unsettled (pool: readonly Entry[], code: string, evidence: string): Match {
  const normalized = new Set(pool.map((entry) => entry.normalized_code))
  return {
    entry: null,
    normalized: normalized.size === 1 ? (pool[0] as Entry).normalized_code : 'unknown',
    matchedBy: 'code',
    source: null,
    code,
    params: {},
    evidence
  }
}

/** The first of the matched entry's message hints whose text the upstream message contains. */
function messageHint (catalog: Catalog, match: Match, message: string | null): MessageHint | undefined {
  const hints = match.entry === null || message === null ? undefined : catalog.sources.get(match.entry.source)?.messageHints.get(match.entry)
  if (hints === undefined || message === null) return undefined
  const lower = message.slice(0, HINT_SCAN_LIMIT).toLowerCase()
  return hints.find((candidate) => lower.includes(candidate.contains.toLowerCase()))
}

/** The entry's remediation, with what this very call tells. */
function specificRemediation (base: Remediation, match: Match, hint: MessageHint | undefined, requestId: string | null): Remediation {
  let action = base.action
  if (hint !== undefined) action = `${hint.action} ${action}`
  if (requestId !== null && (match.normalized === 'internal' || match.normalized === 'upstream_error' || match.normalized === 'unknown')) {
    action += ` Quote the upstream request id in the report: ${requestId}.`
  }
  return action === base.action ? base : { action, diagnostic: base.diagnostic }
}

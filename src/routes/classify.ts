// POST /classify and POST /classify/batch: thin adapters from HTTP to the
// classification engine.
import { Type, type FastifyPluginAsyncTypebox, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { classify, type Classification, type ClassifyInput } from '../engine/classify.js'
import type { Catalog } from '../catalog/types.js'
import { codesIgnoringCase } from '../catalog/codes.js'
import { BODY_LIMIT_BYTES } from '../limits.js'
import { preferredFormat, sendJson, sendText } from '../http.js'
import { renderClassification } from '../render/text.js'
import { batchJson, classificationJson } from '../render/json.js'
import { FormatQuery, SourceQuery, unknownSourceProblem } from './shared.js'
import { json, jsonOrText, problem } from './responses.js'
import { SerializedFact } from '../logging.js'

/** The upstream headers errcat reads, forwarded by the caller with an x-upstream- prefix. */
export const UPSTREAM_HEADERS = ['retry-after', 'retry-after-ms', 'x-request-id', 'x-should-retry'] as const
const UPSTREAM_PREFIX = 'x-upstream-'
/** Upstream header values are cut to this length before anything reads them. */
export const HEADER_VALUE_LIMIT = 256
export const BATCH_LIMIT = 100

const COMMON_UPSTREAM_TYPES = ['application/json', 'application/problem+json', 'text/html', 'text/plain', 'text/event-stream']

/** type/subtype with optional parameters: what Fastify's content-type parsing accepts. */
const wellFormedMediaType = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/

declare module 'fastify' {
  interface FastifyRequest {
    /** The upstream's content-type header when Fastify could not parse it. */
    upstreamContentType?: string
  }
}

const StatusQuery = Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'The upstream HTTP status.' }))

function bound (value: string): string {
  return value.length > HEADER_VALUE_LIMIT ? value.slice(0, HEADER_VALUE_LIMIT) : value
}

/**
 * The x-upstream- headers, each read by its own name: one read in a loop
 * over the names sees every name and goes megamorphic under load. A test
 * holds this list of reads to UPSTREAM_HEADERS.
 */
function upstreamHeaders (request: FastifyRequest): Record<string, string> {
  const incoming = request.headers
  const headers: Record<string, string> = {}
  const retryAfter = incoming['x-upstream-retry-after']
  if (typeof retryAfter === 'string') headers['retry-after'] = bound(retryAfter)
  const retryAfterMs = incoming['x-upstream-retry-after-ms']
  if (typeof retryAfterMs === 'string') headers['retry-after-ms'] = bound(retryAfterMs)
  const requestId = incoming['x-upstream-x-request-id']
  if (typeof requestId === 'string') headers['x-request-id'] = bound(requestId)
  const shouldRetry = incoming['x-upstream-x-should-retry']
  if (typeof shouldRetry === 'string') headers['x-should-retry'] = bound(shouldRetry)
  return headers
}

function itemHeaders (raw: Record<string, string> | undefined): Record<string, string> {
  const headers: Record<string, string> = {}
  if (raw === undefined) return headers
  for (const [name, value] of Object.entries(raw)) {
    const lower = name.toLowerCase()
    const bare = lower.startsWith(UPSTREAM_PREFIX) ? lower.slice(UPSTREAM_PREFIX.length) : lower
    if ((UPSTREAM_HEADERS as readonly string[]).includes(bare)) headers[bare] = bound(value)
  }
  return headers
}

function checkSource (catalog: Catalog, source: string | undefined | null, field = 'source'): void {
  if (source === undefined || source === null || catalog.sources.has(source)) return
  throw unknownSourceProblem(source, catalog.sourceIds, field)
}

function outcomeFacts (result: Classification, code: string | null): Record<string, unknown> {
  return { source: result.source, code, normalized_code: result.normalized_code, matched_by: result.matched_by }
}

/**
 * Outcomes in the catalog's own spellings, made once per catalog and outcome,
 * found by source, code, normalized code and matched_by: strings the catalog
 * and the engine hold, so no key is built and hashed per call.
 */
type OutcomeMemo = Map<string | null, Map<string | null, Map<string, Map<string, SerializedFact>>>>
const fixedOutcomes = new WeakMap<Catalog, OutcomeMemo>()

/** The map under `key`, made empty if missing. */
function within<K, K2, V> (map: Map<K, Map<K2, V>>, key: K): Map<K2, V> {
  let inner = map.get(key)
  if (inner === undefined) map.set(key, inner = new Map())
  return inner
}

/**
 * What the completion line records of a classification. Only a code the
 * catalog knows is logged: a raw upstream code is body content. An outcome
 * whose code (if any) is spelled as in the catalog is one of a bounded set,
 * made and serialized once; a code known only ignoring case is the client's
 * spelling, and would let clients grow that set, so its outcome is made per call.
 */
function outcome (catalog: Catalog, result: Classification): SerializedFact {
  const code = result.code
  let logged: string | null = null
  let clientSpelling = false
  if (code !== null) {
    // The detected source's exact spelling first: the usual case, without lowercasing the code.
    if (catalog.sources.get(result.source ?? '')?.byCode.has(code) === true) {
      logged = code
    } else {
      const known = codesIgnoringCase(catalog, code)
      if (known.length > 0) logged = code
      clientSpelling = known.length > 0 && !known.some((entry) => entry.code === code)
    }
  }
  if (clientSpelling) return SerializedFact.fixed(outcomeFacts(result, logged))
  let memo = fixedOutcomes.get(catalog)
  if (memo === undefined) fixedOutcomes.set(catalog, memo = new Map())
  const byMatch = within(within(within(memo, result.source), logged), result.normalized_code)
  let fixed = byMatch.get(result.matched_by)
  if (fixed === undefined) byMatch.set(result.matched_by, fixed = SerializedFact.fixed(outcomeFacts(result, logged)))
  return fixed
}

const BatchItem = Type.Object({
  status: Type.Optional(Type.Union([Type.Integer({ minimum: 100, maximum: 599 }), Type.Null()])),
  headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: 8192 }), {
    description: 'Upstream response headers, with or without the x-upstream- prefix.'
  })),
  body: Type.Optional(Type.Unknown({ description: 'The upstream body: a string as received, or any JSON value.' })),
  content_type: Type.Optional(Type.String({ maxLength: 256 })),
  source: Type.Optional(Type.Union([Type.String({ minLength: 1, maxLength: 64 }), Type.Null()]))
})

const classifyRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const classifyOptions = { maxRetryAfterS: app.config.MAX_RETRY_AFTER_S }

  // Raw mode: the body is the upstream's, verbatim, whatever its content type.
  // This context parses every content type (or none) as a string, so a
  // truncated JSON body is classified instead of rejected.
  await app.register(async (plain) => {
    const raw = plain.withTypeProvider<TypeBoxTypeProvider>()
    raw.removeAllContentTypeParsers()
    const asString = { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES } as const
    const keepBody = (_request: FastifyRequest, body: string | Buffer, done: (error: Error | null, body?: unknown) => void): void => { done(null, body) }
    raw.addContentTypeParser('*', asString, keepBody)
    // The same parser under the types upstreams send most: Fastify caches the
    // parser it found for a named type, but looks the catch-all up afresh each time.
    raw.addContentTypeParser(COMMON_UPSTREAM_TYPES, asString, keepBody)
    // Fastify refuses a content-type header it cannot parse (415) before any
    // parser runs. The upstream's header is data here: keep it for the engine
    // and let the body through as opaque bytes.
    raw.addHook('onRequest', (request, _reply, done) => {
      const type = request.headers['content-type']
      if (type !== undefined && !wellFormedMediaType.test(type)) {
        request.upstreamContentType = type.slice(0, HEADER_VALUE_LIMIT)
        request.headers['content-type'] = 'application/octet-stream'
      }
      done()
    })

    raw.post('/classify', {
      schema: {
        tags: ['classify'],
        summary: 'Classify one raw upstream error',
        description: 'Send the upstream body verbatim, with any content type or none. Forward the upstream headers that matter with an x-upstream- prefix.',
        querystring: Type.Object({ status: StatusQuery, source: SourceQuery, format: FormatQuery }),
        headers: Type.Object(Object.fromEntries(UPSTREAM_HEADERS.map((name) => [UPSTREAM_PREFIX + name, Type.Optional(Type.String())]))),
        response: {
          200: jsonOrText(Type.Ref('Classification'), 'What the upstream error means and what to do about it.'),
          400: problem('The status, the source or another parameter is invalid.'),
          413: problem('The body is larger than 1 MiB.')
        }
      }
    }, (request, reply) => {
      // Synchronous, like the batch handler: an async one costs a promise and a microtask per call.
      const catalog = request.catalog
      checkSource(catalog, request.query.source)
      const input: ClassifyInput = {
        body: request.body,
        contentType: request.upstreamContentType ?? request.headers['content-type'] ?? null,
        status: request.query.status ?? null,
        headers: upstreamHeaders(request),
        source: request.query.source ?? null
      }
      const result = classify(input, catalog, classifyOptions)
      request.logFacts = { classification: outcome(catalog, result) }
      app.metrics.classified(result)
      if (preferredFormat(request, request.query.format) === 'text') sendText(reply, renderClassification(result))
      else sendJson(reply, classificationJson(result))
    })
  })

  app.post('/classify/batch', {
    schema: {
      tags: ['classify'],
      summary: `Classify up to ${BATCH_LIMIT} upstream errors in one call`,
      body: Type.Object({ items: Type.Array(BatchItem, { maxItems: BATCH_LIMIT }) }),
      response: {
        200: json(Type.Object({ results: Type.Array(Type.Ref('Classification')) }), 'One classification per item, in order.'),
        400: problem('The batch is not valid: more than 100 items, a bad status, or an unknown source (the field names the item).'),
        413: problem('The body is larger than 1 MiB.'),
        415: problem('The batch must be sent as application/json.')
      }
    }
  }, (request, reply) => {
    const catalog = request.catalog
    const { items } = request.body
    items.forEach((item, i) => checkSource(catalog, item.source, `items.${i}.source`))
    const results = items.map((item, i) => {
      const result = classify({
        body: item.body,
        contentType: item.content_type ?? null,
        status: item.status ?? null,
        headers: itemHeaders(item.headers),
        source: item.source ?? null
      }, catalog, classifyOptions)
      app.metrics.classified(result)
      return result
    })
    // One list on the completion line, in item order, instead of a line per item.
    request.logFacts = { classifications: SerializedFact.list(results.map((result) => outcome(catalog, result))) }
    sendJson(reply, batchJson(results))
  })
}

export default classifyRoutes

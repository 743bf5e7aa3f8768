// POST /classify and POST /classify/batch: thin adapters from HTTP to the
// classification engine.
import { Type, type FastifyPluginAsyncTypebox, type TypeBoxTypeProvider } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Nullable } from '../../catalog/typebox.js'
import { classify, headerNamesOf, STANDARD_HEADERS, type ClassifyOptions } from '../../engine/classify.js'
import { readUpstreamHeaders, UPSTREAM_PREFIX } from '../../engine/headers.js'
import { parseHttpMessage } from '../../engine/http-message.js'
import { BATCH_HEADER_VALUE_LIMIT, BATCH_LIMIT, BODY_LIMIT_BYTES, HEADER_VALUE_LIMIT, JSON_DEPTH_LIMIT, SOURCE_ID_LENGTH_LIMIT } from '../../engine/limits.js'
import { jsonNestsDeeperThan } from '../../engine/parse.js'
import { Classification } from '../../engine/schemas.js'
import { renderClassification } from '../../engine/text.js'
import { FormatQuery, preferredFormat, sendText } from '../negotiation.js'
import { json, jsonOrText, problem } from '../responses.js'
import { checkSource, SourceQuery } from './shared.js'
import { ProblemError, PROBLEMS } from '../problems.js'

declare module 'fastify' {
  interface FastifyRequest {
    /** What the classify routes decided: one classification, or a batch's in item order (absent on other routes). */
    classification?: Classification | readonly Classification[] | null
    /** The upstream's content-type header when Fastify could not parse it. */
    upstreamContentType: string | null
  }
}

export interface ClassifyRoutesOptions {
  maxRetryAfterS: number
}

/** type/subtype with optional parameters: what Fastify's content-type parsing accepts. */
const wellFormedMediaType = /^[\w!#$%&'*+.^`|~-]+\/[\w!#$%&'*+.^`|~-]+\s*(;.*)?$/

/** A saved HTTP response, as `curl -si` prints it (RFC 9112's message/http media type). */
const MESSAGE_HTTP = /^message\/http\s*(;|$)/i

const StatusQuery = Type.Optional(Type.Integer({ minimum: 100, maximum: 599, description: 'The upstream HTTP status.' }))

const BatchItem = Type.Object({
  status: Type.Optional(Nullable(Type.Integer({ minimum: 100, maximum: 599 }))),
  headers: Type.Optional(Type.Record(Type.String(), Type.String({ maxLength: BATCH_HEADER_VALUE_LIMIT }), {
    description: 'Upstream response headers, with or without the x-upstream- prefix.'
  })),
  body: Type.Optional(Type.Unknown({ description: 'The upstream body: a string as received, or any JSON value.' })),
  content_type: Type.Optional(Type.String({ maxLength: HEADER_VALUE_LIMIT })),
  source: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: SOURCE_ID_LENGTH_LIMIT })))
})

const classifyRoutes: FastifyPluginAsyncTypebox<ClassifyRoutesOptions> = async (app, options) => {
  const classifyOptions: ClassifyOptions = { maxRetryAfterS: options.maxRetryAfterS }
  app.decorateRequest('classification', null)
  app.decorateRequest('upstreamContentType', null)

  // Raw mode: the body is the upstream's, verbatim, whatever its content type.
  // This context parses every content type (or none) as a string, so a
  // truncated JSON body is classified instead of rejected.
  await app.register(async (context) => {
    const raw = context.withTypeProvider<TypeBoxTypeProvider>()
    raw.removeAllContentTypeParsers()
    raw.addContentTypeParser('*', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (_request, body, done) => { done(null, body) })
    // Fastify refuses a content-type header it cannot parse (415) before any
    // parser runs. The upstream's header is data here: keep it for the engine
    // and let the body through as opaque bytes.
    raw.addHook('onRequest', (request: FastifyRequest, _reply, done) => {
      const type = request.headers['content-type']
      if (type !== undefined && !wellFormedMediaType.test(type)) {
        request.upstreamContentType = type.slice(0, HEADER_VALUE_LIMIT)
        request.headers['content-type'] = 'application/octet-stream'
      }
      done()
    })

    raw.post('/classify', {
      schema: {
        operationId: 'classify',
        tags: ['classify'],
        summary: 'Classify one raw upstream error',
        description: 'Send the upstream body verbatim, with any content type or none. Forward the upstream response headers with an x-upstream- prefix: ' +
          'errcat reads those it knows (the ones listed, and the marks, rate-limit and request-id headers of the catalog\'s sources) and ignores the rest.',
        querystring: Type.Object({ status: StatusQuery, source: SourceQuery, format: FormatQuery }),
        headers: Type.Object(Object.fromEntries(STANDARD_HEADERS.map((name) => [UPSTREAM_PREFIX + name, Type.Optional(Type.String())]))),
        response: {
          200: jsonOrText(Type.Ref(Classification), 'What the upstream error means and what to do about it.'),
          400: problem('The status, the source or another parameter is invalid.'),
          413: problem('The body is larger than 1 MiB.')
        }
      }
    }, (request, reply) => {
      const catalog = request.catalog
      checkSource(catalog, request.query.source)
      const contentType = request.upstreamContentType ?? request.headers['content-type'] ?? null
      const forwarded = readUpstreamHeaders(request.headers, headerNamesOf(catalog), { prefixedOnly: true })
      const saved = contentType !== null && MESSAGE_HTTP.test(contentType) ? parseHttpMessage(String(request.body ?? '')) : undefined
      if (saved === null) {
        throw new ProblemError(PROBLEMS.badRequest, 'A message/http body must be an HTTP response as curl -si prints it: ' +
          'a status line such as "HTTP/1.1 429 Too Many Requests", its headers, a blank line, then the body.')
      }
      // What the request itself says (?status=, x-upstream- headers) wins over the saved response.
      const result = classify(saved === undefined
        ? { body: request.body, contentType, status: request.query.status ?? null, headers: forwarded, source: request.query.source ?? null }
        : {
            body: saved.body,
            contentType: saved.contentType,
            status: request.query.status ?? saved.status,
            headers: { ...saved.headers, ...forwarded },
            source: request.query.source ?? null
          }, catalog, classifyOptions)
      request.classification = result
      // A synchronous handler returns the answer, or nothing once it has sent one.
      if (preferredFormat(request, request.query.format) === 'text') {
        sendText(reply, renderClassification(result))
        return
      }
      return result
    })
  })

  // The batch's JSON: refused unparsed when it nests past any real error body,
  // else parsed by Fastify's own parser, keeping "__proto__" and "constructor"
  // keys as the upstream's data. Any other content type is a 415, as the
  // OpenAPI description says.
  const parseJson = app.getDefaultJsonParser('ignore', 'ignore')
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8')
    if (jsonNestsDeeperThan(text, JSON_DEPTH_LIMIT)) {
      done(new ProblemError(PROBLEMS.badRequest, `The body nests objects and arrays deeper than ${JSON_DEPTH_LIMIT} levels. Send such an upstream body as a string.`))
      return
    }
    parseJson(request, text, done)
  })

  app.post('/classify/batch', {
    schema: {
      operationId: 'classifyBatch',
      tags: ['classify'],
      summary: `Classify up to ${BATCH_LIMIT} upstream errors in one call`,
      body: Type.Object({ items: Type.Array(BatchItem, { maxItems: BATCH_LIMIT }) }),
      response: {
        200: json(Type.Object({ results: Type.Array(Type.Ref(Classification)) }), 'One classification per item, in order.'),
        400: problem(`The batch is not valid: more than ${BATCH_LIMIT} items, a bad status, or an unknown source (the field names the item).`),
        413: problem('The body is larger than 1 MiB.'),
        415: problem('The batch must be sent as application/json.')
      }
    }
  }, (request) => {
    const catalog = request.catalog
    const { items } = request.body
    items.forEach((item, i) => checkSource(catalog, item.source, `items.${i}.source`))
    const results = items.map((item) => classify({
      body: item.body,
      contentType: item.content_type ?? null,
      status: item.status ?? null,
      headers: item.headers,
      source: item.source ?? null
    }, catalog, classifyOptions))
    request.classification = results
    return { results }
  })
}

export default classifyRoutes

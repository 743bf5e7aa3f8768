// GET /codes/:code and GET /codes: the catalog's read side, for support tools
// (JSON) and for people with curl during an incident (text).
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NormalizedCode } from '../../catalog/schema.js'
import { lookup, search, unknownCode } from '../../engine/lookup.js'
import { LookupResult, SearchResult } from '../../engine/schemas.js'
import { CODE_LENGTH_LIMIT, DEFAULT_SEARCH_LIMIT, QUERY_LENGTH_LIMIT, SEARCH_OFFSET_LIMIT, SEARCH_PAGE_LIMIT } from '../../engine/limits.js'
import { renderLookup, renderSearch } from '../../engine/text.js'
import { replyWithProblem } from '../problem-handling.js'
import { buildProblem, PROBLEMS } from '../problems.js'
import { answeredFromCache, FormatQuery, preferredFormat, sendText } from '../negotiation.js'
import { jsonOrText, notModified, problem } from '../responses.js'
import { checkSource, SourceQuery } from './shared.js'

const codesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/codes/:code', {
    schema: {
      operationId: 'getCode',
      tags: ['codes'],
      summary: 'Look up a platform error code',
      description: 'Exact spelling first, then case-insensitive, across every source. A code only a pattern rule knows answers with that rule (kind "pattern").',
      params: Type.Object({ code: Type.String({ minLength: 1, maxLength: CODE_LENGTH_LIMIT, description: 'The code as the platform spells it (any case).' }) }),
      querystring: Type.Object({ source: SourceQuery, format: FormatQuery }),
      response: {
        200: jsonOrText(Type.Ref(LookupResult), 'Every entry for the code, exact spellings first.'),
        304: notModified,
        400: problem('The source is not one of GET /sources, or a parameter is invalid.'),
        404: problem('No source knows the code; suggestions lists the nearest known codes.'),
        414: problem(`The code is longer than ${CODE_LENGTH_LIMIT} characters.`)
      }
    }
  }, (request, reply) => {
    const catalog = request.catalog
    const { source } = request.query
    checkSource(catalog, source)
    const format = preferredFormat(request, request.query.format)
    const result = lookup(request.params.code, catalog, { source })
    // A synchronous handler returns the answer, or nothing once it has sent one.
    if (result.matches.length === 0) {
      const { detail, suggestions } = unknownCode(request.params.code, catalog, { source })
      replyWithProblem(request, reply, buildProblem(request, PROBLEMS.unknownCode, detail, { suggestions }))
      return
    }
    if (answeredFromCache(request, reply, catalog.version, format)) return
    if (format === 'text') {
      sendText(reply, renderLookup(result))
      return
    }
    return result
  })

  app.get('/codes', {
    schema: {
      operationId: 'searchCodes',
      tags: ['codes'],
      summary: 'Search codes, titles, descriptions and messages',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: QUERY_LENGTH_LIMIT, description: 'Words that must all appear (case-insensitive).' })),
        source: SourceQuery,
        normalized_code: Type.Optional(Type.Ref(NormalizedCode)),
        limit: Type.Integer({ minimum: 1, maximum: SEARCH_PAGE_LIMIT, default: DEFAULT_SEARCH_LIMIT }),
        offset: Type.Integer({ minimum: 0, maximum: SEARCH_OFFSET_LIMIT, default: 0 }),
        format: FormatQuery
      }),
      response: {
        200: jsonOrText(Type.Ref(SearchResult), 'The matching entries, code matches first, then title matches.'),
        304: notModified,
        400: problem('A query parameter is invalid, or the source is unknown.')
      }
    }
  }, async (request, reply) => {
    const catalog = request.catalog
    const { source, offset } = request.query
    checkSource(catalog, source)
    const format = preferredFormat(request, request.query.format)
    if (answeredFromCache(request, reply, catalog.version, format)) return reply
    const result = search(catalog, request.query)
    return format === 'text' ? sendText(reply, renderSearch(result.items, result.total, offset)) : result
  })
}

export default codesRoutes

// GET /codes/:code and GET /codes: the catalog's read side, for support tools
// (JSON) and for people with curl during an incident (text).
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NORMALIZED_CODES } from '../catalog/schema.js'
import { lookup, search, unknownCode, DEFAULT_SEARCH_LIMIT, type LookupResult } from '../engine/lookup.js'
import type { Catalog } from '../catalog/types.js'
import { buildProblem, sendProblem } from '../problems.js'
import { answeredFromCache, preferredFormat, sendJson, sendText } from '../http.js'
import { renderLookup, renderProblem, renderSearch } from '../render/text.js'
import { MAX_PARAM_LENGTH } from '../plugins/problem-handling.js'
import { jsonOrText, notModified, problem, problemOrText } from './responses.js'
import { FormatQuery, SourceQuery, unknownSourceProblem } from './shared.js'

const LookupAnswer = Type.Object({
  query: Type.String(),
  matches: Type.Array(Type.Ref('Entry'))
}, { $id: 'LookupAnswer' })

const SearchAnswer = Type.Object({
  items: Type.Array(Type.Ref('Entry')),
  total: Type.Integer({ minimum: 0 })
}, { $id: 'SearchAnswer' })

/**
 * Lookup answers are the same for every request with the same code, source
 * and catalog, so each is serialized once and sent as it is afterwards.
 * Only codes the catalog answers are cached, so the cache is bounded by the
 * catalog's size (times the few spellings people type); a new catalog starts
 * a new cache.
 */
class AnswerCache {
  #catalog: Catalog | null = null
  #answers = new Map<string, string>()
  static readonly LIMIT = 20_000

  /** The serialized answer for a code as typed, if this catalog already answered it. */
  get (catalog: Catalog, source: string | undefined, code: string): string | undefined {
    return this.#catalog === catalog ? this.#answers.get(AnswerCache.#key(source, code)) : undefined
  }

  set (catalog: Catalog, source: string | undefined, result: LookupResult): string {
    if (this.#catalog !== catalog || this.#answers.size >= AnswerCache.LIMIT) {
      this.#catalog = catalog
      this.#answers = new Map()
    }
    const answer = JSON.stringify(result)
    this.#answers.set(AnswerCache.#key(source, result.query), answer)
    return answer
  }

  static #key (source: string | undefined, code: string): string {
    return `${source ?? ''}\u0000${code}`
  }
}

const codesRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const answers = new AnswerCache()

  app.addSchema(LookupAnswer)
  app.addSchema(SearchAnswer)

  app.get('/codes/:code', {
    schema: {
      tags: ['codes'],
      summary: 'Look up a platform error code',
      description: 'Exact spelling first, then case-insensitive, across every source. A code only a pattern rule knows answers with that rule (kind "pattern").',
      params: Type.Object({ code: Type.String({ minLength: 1, maxLength: MAX_PARAM_LENGTH, description: 'The code as the platform spells it (any case).' }) }),
      querystring: Type.Object({ source: SourceQuery, format: FormatQuery }),
      response: {
        200: jsonOrText(Type.Ref(LookupAnswer), 'Every entry for the code, exact spellings first.'),
        304: notModified,
        400: problem('The source is not one of GET /sources, or a parameter is invalid.'),
        404: problemOrText('No source knows the code; suggestions lists the nearest known codes.'),
        414: problem('The code is longer than 128 characters.')
      }
    }
  }, (request, reply) => {
    // Synchronous: an async handler costs a promise and a microtask per call.
    const catalog = request.catalog
    const { source } = request.query
    const format = preferredFormat(request, request.query.format)
    if (source !== undefined && !catalog.sources.has(source)) throw unknownSourceProblem(source, catalog.sourceIds)
    // A code answered before skips the lookup: its answer is already serialized.
    const cached = format === 'json' ? answers.get(catalog, source, request.params.code) : undefined
    const result = cached === undefined ? lookup(request.params.code, catalog, { source }) : null
    if (result !== null && result.matches.length === 0) {
      const { title, detail, suggestions } = unknownCode(request.params.code, catalog, { source })
      const problem = buildProblem(request, 404, 'unknown-code', title, detail, { suggestions })
      if (format === 'text') sendText(reply.code(404), renderProblem(problem))
      else sendProblem(reply, problem)
      return
    }
    if (answeredFromCache(request, reply, catalog.version, format)) return
    if (result !== null && format === 'text') sendText(reply, renderLookup(result))
    else sendJson(reply, cached ?? answers.set(catalog, source, result as LookupResult))
  })

  app.get('/codes', {
    schema: {
      tags: ['codes'],
      summary: 'Search codes, titles, descriptions and messages',
      querystring: Type.Object({
        q: Type.Optional(Type.String({ maxLength: 200, description: 'Words that must all appear (case-insensitive).' })),
        source: SourceQuery,
        normalized_code: Type.Optional(Type.Union(NORMALIZED_CODES.map((code) => Type.Literal(code)))),
        limit: Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_SEARCH_LIMIT }),
        offset: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
        format: FormatQuery
      }),
      response: {
        200: jsonOrText(Type.Ref(SearchAnswer), 'The matching entries, code matches first, then title matches.'),
        304: notModified,
        400: problem('A query parameter is invalid, or the source is unknown.')
      }
    }
  }, async (request, reply) => {
    const catalog = request.catalog
    const { source, offset } = request.query
    if (source !== undefined && !catalog.sources.has(source)) throw unknownSourceProblem(source, catalog.sourceIds)
    const format = preferredFormat(request, request.query.format)
    if (answeredFromCache(request, reply, catalog.version, format)) return reply
    const result = search(catalog, request.query)
    if (format === 'text') return sendText(reply, renderSearch(result.items, result.total, offset))
    return result
  })
}

export default codesRoutes

// GET /sources and GET /taxonomy: what errcat knows about, for discovery.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Source, TaxonomyCode } from '../../catalog/schema.js'
import { renderSources, renderTaxonomy } from '../../engine/text.js'
import { answeredFromCache, FormatQuery, preferredFormat, sendText } from '../negotiation.js'
import { jsonOrText, notModified } from '../responses.js'

const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/sources', {
    schema: {
      operationId: 'listSources',
      tags: ['codes'],
      summary: 'The platforms in the catalog',
      querystring: Type.Object({ format: FormatQuery }),
      response: { 200: jsonOrText(Type.Object({ sources: Type.Array(Type.Ref(Source)) }), 'Every source in the catalog.'), 304: notModified }
    }
  }, async (request, reply) => {
    const catalog = request.catalog
    const format = preferredFormat(request, request.query.format)
    if (answeredFromCache(request, reply, catalog.version, format)) return reply
    const sources = catalog.sourceList.map((index) => index.info)
    return format === 'text' ? sendText(reply, renderSources(sources)) : { sources }
  })

  app.get('/taxonomy', {
    schema: {
      operationId: 'getTaxonomy',
      tags: ['codes'],
      summary: 'The normalized codes, with HTTP and gRPC equivalents and default retry',
      querystring: Type.Object({ format: FormatQuery }),
      response: { 200: jsonOrText(Type.Object({ codes: Type.Array(Type.Ref(TaxonomyCode)) }), 'The normalized codes.'), 304: notModified }
    }
  }, async (request, reply) => {
    const catalog = request.catalog
    const format = preferredFormat(request, request.query.format)
    if (answeredFromCache(request, reply, catalog.version, format)) return reply
    const codes = [...catalog.taxonomy.values()]
    return format === 'text' ? sendText(reply, renderTaxonomy(codes)) : { codes }
  })
}

export default catalogRoutes

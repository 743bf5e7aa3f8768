// GET /sources and GET /taxonomy: what errcat knows about, for discovery.
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { answeredFromCache, preferredFormat, sendText } from '../http.js'
import { renderSources, renderTaxonomy } from '../render/text.js'
import { FormatQuery } from './shared.js'
import { jsonOrText, notModified } from './responses.js'

const Source = Type.Object({
  id: Type.String(),
  name: Type.String(),
  docs: Type.Array(Type.String(), { description: 'The platform\'s public error documentation.' }),
  envelope: Type.String({ description: 'The shapes of the platform\'s error bodies.' }),
  diagnostic_tool: Type.Union([Type.String(), Type.Null()], { description: 'The platform\'s CLI named in diagnostics, if any.' }),
  entry_count: Type.Integer({ minimum: 0 })
}, { $id: 'Source' })

const TaxonomyCode = Type.Object({
  code: Type.Ref('NormalizedCode'),
  meaning: Type.String(),
  http_status: Type.Array(Type.Integer()),
  grpc_code: Type.String(),
  retry: Type.Ref('RetryPolicy'),
  retry_note: Type.Optional(Type.String()),
  remediation: Type.Ref('Remediation')
}, { $id: 'TaxonomyCode' })

const catalogRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.addSchema(Source)
  app.addSchema(TaxonomyCode)

  app.get('/sources', {
    schema: {
      tags: ['codes'],
      summary: 'The platforms in the catalog',
      querystring: Type.Object({ format: FormatQuery }),
      response: { 200: jsonOrText(Type.Object({ sources: Type.Array(Type.Ref(Source)) }), 'Every source in the catalog.'), 304: notModified }
    }
  }, async (request, reply) => {
    const catalog = request.catalog
    const format = preferredFormat(request, request.query.format)
    if (answeredFromCache(request, reply, catalog.version, format)) return reply
    const sources = catalog.sourceIds.map((id) => catalog.sources.get(id)?.info).filter((info) => info !== undefined)
    return format === 'text' ? sendText(reply, renderSources(sources)) : { sources }
  })

  app.get('/taxonomy', {
    schema: {
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

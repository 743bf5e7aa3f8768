// What every request carries: its id on the answer, and the catalog it
// started with. A request reads the catalog once, here, so a reload that
// lands mid-request never changes its answer half-way.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { REQUEST_ID_HEADER } from '../request-id.js'
import type { Catalog } from '../catalog/types.js'

export const CATALOG_VERSION_HEADER = 'x-catalog-version'

declare module 'fastify' {
  interface FastifyRequest {
    catalog: Catalog
  }
}

async function requestContext (app: FastifyInstance): Promise<void> {
  app.decorateRequest('catalog', null as unknown as Catalog)
  app.decorateRequest('logFacts', null)
  // Callback-style hooks: they run on every request, and an async hook costs a promise each time.
  app.addHook('onRequest', (request, reply, done) => {
    request.catalog = app.catalogStore.current
    reply.header(REQUEST_ID_HEADER, request.id)
    reply.header(CATALOG_VERSION_HEADER, request.catalog.version)
    done()
  })
  app.addHook('onSend', (_request, reply, payload, done) => {
    // While draining, close each connection after its answer instead of keeping it alive,
    // in-flight requests included.
    if (app.lifecycle.draining) reply.header('connection', 'close')
    done(null, payload)
  })
}

export default fp(requestContext, { name: 'request-context' })

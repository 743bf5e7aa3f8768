// What every request carries: its id on the answer, and the catalog it
// started with. A request reads the catalog once, here, so a reload that
// lands mid-request never changes its answer half-way.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Catalog } from '../catalog/types.js'
import { REQUEST_ID_HEADER } from './request-id.js'

export const CATALOG_VERSION_HEADER = 'x-catalog-version'

declare module 'fastify' {
  interface FastifyRequest {
    /** The catalog in service when the request arrived. */
    catalog: Catalog
  }
}

export interface RequestContextOptions {
  /** The catalog in service now. */
  currentCatalog: () => Catalog
}

async function requestContext (app: FastifyInstance, options: RequestContextOptions): Promise<void> {
  app.decorateRequest('catalog', null as unknown as Catalog)
  app.addHook('onRequest', (request, reply, done) => {
    request.catalog = options.currentCatalog()
    reply.header(REQUEST_ID_HEADER, request.id)
    reply.header(CATALOG_VERSION_HEADER, request.catalog.version)
    done()
  })
}

export default fp(requestContext, { name: 'request-context' })

// What every request carries: its id on the answer, the catalog it started
// with, and a Host. A request reads the catalog once, here, so a reload that
// lands mid-request never changes its answer half-way.
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Catalog } from '../catalog/types.js'
import { ProblemError, PROBLEMS } from './problems.js'
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
    // RFC 9112 §3.2: an HTTP/1.1 request without Host gets a 400. Node would
    // answer it with an empty 400 of its own; this one is a problem like the rest.
    if (request.headers.host === undefined && request.raw.httpVersion === '1.1') {
      done(new ProblemError(PROBLEMS.badRequest, 'An HTTP/1.1 request needs a Host header.'))
      return
    }
    done()
  })
}

export default fp(requestContext, { name: 'request-context' })

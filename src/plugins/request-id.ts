// Every answer carries its request id, so a caller can quote it and find the
// request's log lines. The id itself is chosen by genReqId (src/request-id.ts).
import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { REQUEST_ID_HEADER } from '../request-id.js'

async function requestIdHeader (app: FastifyInstance): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id)
  })
}

export default fp(requestIdHeader, { name: 'request-id-header' })

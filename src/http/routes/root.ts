// GET /: a person who opens errcat's address in a browser lands on its docs.
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'

const rootRoute: FastifyPluginAsyncTypebox = async (app) => {
  app.get('/', { schema: { hide: true } }, async (_request, reply) => reply.redirect('/docs/', 302))
}

export default rootRoute

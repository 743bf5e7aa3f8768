// A path that exists answers a method it does not take with 405 and `Allow`
// (RFC 9110, section 15.5.6), not with the 404 of a path that does not exist.
// Fastify's router has no such answer, so every path gets routes of its own
// for the other methods, added once all the real routes are known.
import fp from 'fastify-plugin'
import type { FastifyInstance, HTTPMethods } from 'fastify'
import { replyWithProblem } from './problem-handling.js'
import { buildProblem, PROBLEMS } from './problems.js'

const METHODS: readonly HTTPMethods[] = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT']

export interface MethodNotAllowed {
  /** Registered before the routes: notes each path as routes are added. */
  track: (app: FastifyInstance) => Promise<void>
  /** Registered after the routes: answers every other method of those paths with 405. */
  answer: (app: FastifyInstance) => Promise<void>
}

export function methodNotAllowed (): MethodNotAllowed {
  const urls = new Set<string>()
  let answering = false

  async function track (app: FastifyInstance): Promise<void> {
    app.addHook('onRoute', (route) => {
      if (!answering) urls.add(route.url)
    })
  }

  async function answer (app: FastifyInstance): Promise<void> {
    answering = true
    for (const url of urls) {
      // The router, not the hook, says what a path takes: Fastify adds some routes (a prefix's trailing slash) without telling onRoute.
      const taken = METHODS.filter((method) => app.hasRoute({ method, url }))
      const others = METHODS.filter((method) => !taken.includes(method))
      if (others.length === 0) continue
      const allow = taken.join(', ')
      app.route({
        method: others,
        url,
        schema: { hide: true },
        handler: (request, reply) => {
          reply.header('allow', allow)
          return replyWithProblem(request, reply, buildProblem(request, PROBLEMS.methodNotAllowed,
            `${request.method} is not a method of this path; it takes ${allow}.`))
        }
      })
    }
  }

  return { track: fp(track, { name: 'method-not-allowed-track' }), answer: fp(answer, { name: 'method-not-allowed' }) }
}

// Under real overload, answer a 503 problem with Retry-After at once instead
// of queueing: a gateway on its error path then falls back immediately.
// Liveness and metrics stay exempt, so an overloaded replica is not killed
// for it and stays observable.
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { buildProblem, sendProblem } from '../problems.js'

export const EXEMPT_ROUTES = new Set(['/healthz', '/metrics'])
/** Seconds a shed client is told to wait. */
export const SHED_RETRY_AFTER_S = 1

export interface LoadSheddingOptions {
  /** Event-loop delay, in ms, past which requests are shed; 0 turns shedding off. */
  maxEventLoopDelayMs: number
  /** How often the event loop is sampled, in ms. */
  sampleIntervalMs?: number
}

async function loadShedding (app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs === 0) return
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleIntervalMs ?? 250,
    pressureHandler: (request, reply, type, value) => {
      if (EXEMPT_ROUTES.has(request.routeOptions.url ?? '')) return
      request.log.warn({ pressure: type, value }, 'shedding load')
      reply.header('retry-after', String(SHED_RETRY_AFTER_S))
      sendProblem(reply, buildProblem(request, 503, 'overloaded', 'Service Unavailable',
        `errcat is overloaded (${type}). Retry after ${SHED_RETRY_AFTER_S} s or fall back.`))
    }
  })
}

export default fp(loadShedding, { name: 'load-shedding' })

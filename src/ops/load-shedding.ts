// Under real overload, answer a 503 problem with Retry-After at once instead
// of queueing: a gateway on its error path then falls back immediately.
// Routes that opt out (liveness, metrics) are never shed, so an overloaded
// replica is not killed for it and stays observable.
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { buildProblem, PROBLEMS, sendProblem } from '../http/problems.js'
import '../http/responses.js'

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
      if (request.routeOptions.config.shed === false) return
      request.log.warn({ pressure: type, value }, 'shedding load')
      reply.header('retry-after', String(SHED_RETRY_AFTER_S))
      sendProblem(reply, buildProblem(request, PROBLEMS.overloaded,
        `errcat is overloaded (${type}). Retry after ${SHED_RETRY_AFTER_S} s or fall back.`))
    }
  })
}

export default fp(loadShedding, { name: 'load-shedding' })

// Under real overload, answer a 503 problem with Retry-After at once instead
// of queueing: a gateway on its error path then falls back immediately.
// Routes that opt out (liveness, readiness, metrics) are never shed, so an
// overloaded replica is neither killed nor taken out of service for it, and
// stays observable. Shedding arms itself only
// once the service has warmed up: the event-loop delay of booting, compiling
// and answering the first requests is no overload.
import fp from 'fastify-plugin'
import underPressure from '@fastify/under-pressure'
import type { FastifyInstance } from 'fastify'
import { replyWithProblem } from '../http/problem-handling.js'
import { buildProblem, PROBLEMS } from '../http/problems.js'
import '../http/responses.js'

/** Seconds a shed client is told to wait. */
export const SHED_RETRY_AFTER_S = 1
/** How long after the app is ready shedding starts. */
export const SHED_WARM_UP_MS = 5000

export interface LoadSheddingOptions {
  /** Event-loop delay, in ms, past which requests are shed; 0 turns shedding off. */
  maxEventLoopDelayMs: number
  /** How often the event loop is sampled, in ms. */
  sampleIntervalMs?: number
  /** How long after the app is ready shedding starts, in ms; SHED_WARM_UP_MS by default. */
  warmUpMs?: number
}

async function loadShedding (app: FastifyInstance, options: LoadSheddingOptions): Promise<void> {
  if (options.maxEventLoopDelayMs === 0) return
  let armed = false
  let warmUp: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    warmUp = setTimeout(() => { armed = true }, options.warmUpMs ?? SHED_WARM_UP_MS).unref()
  })
  app.addHook('onClose', async () => { clearTimeout(warmUp) })
  await app.register(underPressure, {
    maxEventLoopDelay: options.maxEventLoopDelayMs,
    sampleInterval: options.sampleIntervalMs ?? 250,
    pressureHandler: (request, reply, type, value) => {
      if (!armed || request.routeOptions.config.shed === false) return
      request.log.warn({ pressure: type, value }, 'shedding load')
      reply.header('retry-after', String(SHED_RETRY_AFTER_S))
      replyWithProblem(request, reply, buildProblem(request, PROBLEMS.overloaded,
        `errcat is overloaded (${type}). Retry after ${SHED_RETRY_AFTER_S} s or fall back.`))
    }
  })
}

export default fp(loadShedding, { name: 'load-shedding' })

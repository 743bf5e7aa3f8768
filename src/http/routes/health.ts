// Liveness and readiness, for orchestrators and load balancers.
import { Type, type FastifyPluginAsyncTypebox, type Static } from '@fastify/type-provider-typebox'
import { Nullable, StringEnum } from '../../catalog/typebox.js'
import { ProblemError, PROBLEMS } from '../problems.js'
import { json, problem } from '../responses.js'

const Health = Type.Object({ status: Type.Literal('ok') })

export const LastReload = Type.Object({
  result: StringEnum(['success', 'failure']),
  at: Type.String({ format: 'date-time', description: 'When the reload ended.' }),
  reason: Type.Optional(Type.String({ description: 'Why it was refused; the last good catalog kept serving.' }))
}, { description: 'The last catalog reload (SIGHUP), or null before any.' })
export type LastReload = Static<typeof LastReload>

const Ready = Type.Object({
  status: Type.Literal('ready'),
  catalog: Type.Object({
    version: Type.String({ description: 'Content hash of the catalog files.' }),
    loaded_at: Type.String({ format: 'date-time' }),
    entries: Type.Integer()
  }),
  last_reload: Nullable(LastReload)
})

export interface HealthOptions {
  /** True from the moment shutdown begins: readiness fails. */
  draining: () => boolean
  /** The last reload's outcome, or null before any. */
  lastReload: () => LastReload | null
}

const healthRoutes: FastifyPluginAsyncTypebox<HealthOptions> = async (app, options) => {
  app.get('/healthz', {
    config: { shed: false },
    schema: {
      operationId: 'healthz',
      tags: ['operations'],
      summary: 'Liveness: 200 while the process runs',
      response: { 200: json(Health, 'The process is running.') }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    // A busy replica is still ready: failing readiness under load would move the load onto its neighbours.
    config: { shed: false },
    schema: {
      operationId: 'readyz',
      tags: ['operations'],
      summary: 'Readiness: 200 once the catalog is loaded, 503 from the moment shutdown begins',
      response: { 200: json(Ready, 'The catalog is loaded and errcat takes work.'), 503: problem('errcat is shutting down: send work to another replica.') }
    }
  }, async (request) => {
    if (options.draining()) {
      throw new ProblemError(PROBLEMS.shuttingDown, 'errcat is shutting down and takes no new work. Send the request to another replica.')
    }
    const catalog = request.catalog
    return {
      status: 'ready' as const,
      catalog: { version: catalog.version, loaded_at: catalog.loadedAt, entries: catalog.allEntries.length },
      last_reload: options.lastReload()
    }
  })
}

export default healthRoutes

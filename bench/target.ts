// A server under benchmark, in its own process: `target errcat [CATALOG_DIR]`
// or `target baseline`. Both log at info level to /dev/null through pino, so
// logging costs the same; it prints "LISTENING <port>" when ready.
//
// The baseline is a bare Fastify app with one trivial JSON route that takes
// any method, path and body: the benchmark sends it the very request it
// sends errcat, so the ratio is errcat's own cost over the HTTP stack's cost
// of receiving that request, not the cost of a POST body over a GET.
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../src/ops/app.js'
import { loadConfig } from '../src/ops/config.js'
import { BUNDLED_CATALOG_DIR } from '../src/catalog/paths.js'

const kind = process.argv[2]
// pino's default destination writes synchronously; an async one re-measures its whole
// pending buffer on every line, which under load costs more than the logging itself.
const logStream = pino.destination({ dest: '/dev/null', sync: true })

async function start (): Promise<{ listen: (options: { port: number, host: string }) => Promise<string>, server: { address: () => unknown } }> {
  if (kind === 'baseline') {
    const app = Fastify({ logger: { level: 'info', stream: logStream } })
    // Fastify parses JSON itself; any other content type (an HTML error page) is read as a string.
    app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
    app.route({ method: ['GET', 'POST'], url: '/*', handler: async () => ({ ok: true }) })
    return app
  }
  const catalogDir = process.argv[3] ?? BUNDLED_CATALOG_DIR
  return await buildApp({ config: { ...loadConfig({}), CATALOG_DIR: catalogDir }, logStream })
}

const app = await start()
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address() as { port: number }
process.stdout.write(`LISTENING ${address.port}\n`)
process.on('SIGTERM', () => process.exit(0))

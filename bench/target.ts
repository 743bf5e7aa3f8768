// A server under benchmark, in its own process: `target errcat [CATALOG_DIR]`
// or `target floor <answers.json>`. It prints "LISTENING <port>" when ready.
//
// The floor is what any Fastify service spends to take errcat's requests and
// give errcat's answers: a plain Fastify app with its defaults (the default
// logger at info, two lines per request), its own JSON parser and any other
// content type read as a string, answering each route with the status,
// content type and body bytes errcat answered, captured at the start of the
// run. What errcat spends beyond it is its own work: routing, validation,
// the lookup or classification, serializing, its headers and log line.
import { readFile } from 'node:fs/promises'
import Fastify from 'fastify'
import pino from 'pino'
import { buildApp } from '../src/ops/app.js'
import { loadConfig } from '../src/ops/config.js'
import { settleWhenIdle } from '../src/ops/memory.js'
import { BUNDLED_CATALOG_DIR } from '../src/catalog/paths.js'
import type { Answer } from './lib.js'

const [kind, argument] = process.argv.slice(2)
// Both write their log lines to /dev/null through the same synchronous pino
// destination, so the write itself costs them alike.
const logStream = pino.destination({ dest: '/dev/null', sync: true })

async function floor (answersFile: string): Promise<ReturnType<typeof Fastify>> {
  const answers = JSON.parse(await readFile(answersFile, 'utf8')) as Answer[]
  const byRequest = new Map(answers.map((answer) => [`${answer.method} ${answer.path}`, answer]))
  const app = Fastify({ logger: { level: 'info', stream: logStream } })
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => { done(null, body) })
  // One route per method and path; routes that differ only in their query (the
  // classify cases) share one and are told apart by the URL.
  const routes = new Set(answers.map((answer) => `${answer.method} ${answer.path.split('?')[0] as string}`))
  for (const route of routes) {
    const [method, url] = route.split(' ') as [string, string]
    app.route({
      method,
      url,
      handler: async (request, reply) => {
        const answer = byRequest.get(`${request.method} ${request.url}`)
        if (answer === undefined) return await reply.code(404).send()
        reply.code(answer.status).header('content-type', answer.content_type)
        return answer.body
      }
    })
  }
  return app
}

const app = kind === 'floor'
  ? await floor(argument as string)
  : await buildApp({ config: { ...loadConfig({}), CATALOG_DIR: argument ?? BUNDLED_CATALOG_DIR }, logStream })
// errcat hands back its boot memory before listening and again when idle, as `npm start` does.
if (kind !== 'floor') {
  await app.ready()
  await settleWhenIdle().settle()
}
await app.listen({ port: 0, host: '127.0.0.1' })
const address = app.server.address() as { port: number }
process.stdout.write(`LISTENING ${address.port}\n`)
process.on('SIGTERM', () => process.exit(0))

// One point of the scaling curve, in a fresh process so that its boot and RSS
// are its own: `scale-probe <catalog-dir> <ms-per-case>`. Boots errcat on the
// catalog, times classify() on each engine path, then sends every route once
// through app.inject. Prints one JSON line.
import { buildApp } from '../src/ops/app.js'
import { loadConfig } from '../src/ops/config.js'
import { loadCatalog } from '../src/catalog/load.js'
import { engineCalls, PROBE_ROUTES } from './cases.js'
import { timeEachInTurns } from './timing.js'

const [dir = '', msArg = '300'] = process.argv.slice(2)
const started = performance.now()
// A catalog 1000 times the bundled one has files far past the default size
// bound; an operator serving one raises CATALOG_FILE_LIMIT_BYTES as this does.
const catalog = await loadCatalog(dir, { maxFileBytes: 2 ** 31 - 1 })
// No load shedding: the probe asks whether every route answers right at this size, and a
// process that has just built a catalog of a million entries is busy collecting garbage.
const app = await buildApp({ config: { ...loadConfig({}), CATALOG_DIR: dir, LOG_LEVEL: 'silent', SHED_EVENT_LOOP_DELAY_MS: 0 }, catalog })
await app.ready()
const bootMs = performance.now() - started
const rssBytes = process.memoryUsage().rss

const perCaseNs = timeEachInTurns(engineCalls(catalog), Number(msArg))
// The timing loop held the event loop for seconds: let load shedding see it
// idle again, so the routes meet errcat as requests would, not the probe's loop.
await new Promise((resolve) => setTimeout(resolve, 1000))

const answers: Array<{ route: string, status: number, expected: boolean }> = []
for (const [route, request] of Object.entries(PROBE_ROUTES)) {
  const response = await app.inject({ method: request.method, url: request.path, headers: request.headers ?? {}, ...(request.body === undefined ? {} : { payload: request.body }) })
  const status = response.statusCode
  answers.push({ route, status, expected: request.expect === 404 ? status === 404 : status >= 200 && status < 300 })
}
await app.close()
process.stdout.write(JSON.stringify({ entries: catalog.allEntries.length, boot_ms: bootMs, rss_bytes: rssBytes, per_case_ns: perCaseNs, answers }) + '\n')

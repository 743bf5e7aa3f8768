// One point of the scaling curve, in a process of its own so that its RSS is
// its own: `scale-probe <catalog-dir> <ms-per-case>`. Prints one JSON line.
import { buildApp } from '../src/ops/app.js'
import { loadConfig } from '../src/ops/config.js'
import { loadCatalog } from '../src/catalog/load.js'
import { engineCalls } from './cases.js'
import { timeEachInTurns } from './timing.js'

const [dir = '', msArg = '300'] = process.argv.slice(2)
const started = performance.now()
const catalog = await loadCatalog(dir)
const app = await buildApp({ config: { ...loadConfig({}), CATALOG_DIR: dir, LOG_LEVEL: 'silent' }, catalog })
await app.ready()
const bootMs = performance.now() - started
global.gc?.()
const rssBytes = process.memoryUsage().rss

const perCaseNs = timeEachInTurns(engineCalls(catalog), Number(msArg))
await app.close()
process.stdout.write(JSON.stringify({ entries: catalog.allEntries.length, boot_ms: bootMs, rss_bytes: rssBytes, per_case_ns: perCaseNs }) + '\n')

// Shared test set-up: an app built on the bundled catalog, with its log lines
// captured so tests can assert on what is (and is not) logged.
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { buildApp } from '../src/app.js'
import { loadConfig, type Config } from '../src/config.js'
import { loadCatalog } from '../src/catalog/load.js'
import type { Catalog } from '../src/catalog/types.js'
import type { LoadSheddingOptions } from '../src/plugins/load-shedding.js'

export const CATALOG_DIR = fileURLToPath(new URL('../catalog/', import.meta.url))

let bundled: Promise<Catalog> | undefined
/** The bundled catalog, loaded once per test file. */
export function bundledCatalog (): Promise<Catalog> {
  bundled ??= loadCatalog(CATALOG_DIR)
  return bundled
}

export interface LogLine {
  level: number
  msg: string
  request_id?: string
  [key: string]: unknown
}

export function testConfig (overrides: Partial<Config> = {}): Config {
  // Load shedding is off unless a test turns it on: tap's TypeScript loader
  // blocks the event loop long enough to trip it on a busy 2-core machine.
  return { ...loadConfig({}), CATALOG_DIR, SHED_EVENT_LOOP_DELAY_MS: 0, ...overrides }
}

export async function buildTestApp (overrides: Partial<Config> = {}, catalog?: Catalog, loadShedding?: LoadSheddingOptions) {
  const logs: LogLine[] = []
  const logStream = new Writable({
    write (chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      callback()
    }
  })
  const app = await buildApp({ config: testConfig(overrides), catalog: catalog ?? await bundledCatalog(), logStream, ...(loadShedding === undefined ? {} : { loadShedding }) })
  return { app, logs }
}

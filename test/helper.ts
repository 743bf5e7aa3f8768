// The test set-up every part shares, in the style of fastify/demo's
// test/helper: build(t) makes an app on the bundled catalog, with its log
// lines captured, and closes it when the test ends.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { FastifyInstance } from 'fastify'
import { loadCatalog } from '../src/catalog/load.js'
import type { Catalog } from '../src/catalog/types.js'
import { buildApp } from '../src/ops/app.js'
import { loadConfig, type Config } from '../src/ops/config.js'
import type { LoadSheddingOptions } from '../src/ops/load-shedding.js'

export const CATALOG_DIR = fileURLToPath(new URL('../catalog/', import.meta.url))

/** The four platforms the catalog began with: their reference pages are copied in fixtures/seed-contract.json. */
export const SEED_SOURCE_IDS: readonly string[] = ['nullspace', 'onecli', 'scaigrid', 'xerotier']
/** Every source of the bundled catalog, in id order. */
export const SOURCE_IDS: readonly string[] = [
  'anthropic', 'aws', 'azure', 'caddy', 'cloudflare', 'envoy', 'fastly', 'github', 'google', 'haproxy', 'kong', 'nginx', 'nullspace', 'onecli', 'openai', 'scaigrid', 'stripe', 'traefik', 'xerotier'
]

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

/** What a test can close: tap's Test, or anything with teardown. */
export interface Teardown {
  teardown: (fn: () => unknown) => void
}

export interface BuildOptions {
  config?: Partial<Config>
  catalog?: Catalog
  loadShedding?: LoadSheddingOptions
}

/** An app on the bundled catalog (unless told otherwise), closed when `t` ends, with its log lines. */
export async function build (t: Teardown, options: BuildOptions = {}): Promise<{ app: FastifyInstance, logs: LogLine[] }> {
  const logs: LogLine[] = []
  const logStream = new Writable({
    write (chunk, _encoding, callback) {
      for (const line of String(chunk).split('\n')) if (line !== '') logs.push(JSON.parse(line) as LogLine)
      callback()
    }
  })
  const app = await buildApp({
    config: testConfig(options.config),
    catalog: options.catalog ?? await bundledCatalog(),
    logStream,
    ...(options.loadShedding === undefined ? {} : { loadShedding: options.loadShedding })
  })
  t.teardown(() => app.close())
  return { app, logs }
}

/** Validators for the committed OpenAPI document's components, compiled once per test file. */
let components: Ajv2020 | undefined
export function componentValidator (name: string): ValidateFunction {
  if (components === undefined) {
    const document = JSON.parse(readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8')) as { components: object }
    components = new Ajv2020({ strict: false, allErrors: true })
    addFormats.default(components)
    components.addSchema({ $id: 'openapi.json', components: document.components })
  }
  return components.compile({ $ref: `openapi.json#/components/schemas/${name}` })
}

export interface RunningService {
  address: string
  /** Everything the process wrote so far, stdout and stderr. */
  output: () => string
  child: ChildProcess
  /** Resolves with the exit code. */
  exited: Promise<number | null>
}

/**
 * Starts errcat in a process of its own (`args` after node's own arguments)
 * and resolves once it logs the address it listens on. The process is killed
 * when `t` ends, if it is still running.
 */
export async function startService (t: Teardown, args: string[], options: { env: NodeJS.ProcessEnv, cwd?: string, timeoutMs?: number }): Promise<RunningService> {
  const child = spawn(process.execPath, args, { env: options.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
    await exited
  })
  let output = ''
  const address = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += String(chunk)
      const match = /"msg":"errcat listening on (http:\/\/127\.0\.0\.1:\d+),/.exec(output)
      if (match !== null) resolve(match[1] as string)
    })
    child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
    child.on('exit', () => reject(new Error(`exited before listening: ${output}`)))
    setTimeout(() => reject(new Error(`no listening line: ${output}`)), options.timeoutMs ?? 60_000).unref()
  })
  return { address, output: () => output, child, exited }
}

// Loads a catalog with its reading, parsing and validation in a worker thread,
// so that a reload never stalls the thread serving requests: only the indexing
// of the parsed files runs on the calling thread. A load that takes longer than
// its timeout is abandoned, and nothing waits on it at shutdown.
import { Worker } from 'node:worker_threads'
import { resolve as resolvePath } from 'node:path'
import { CatalogError, indexCatalog, type ParsedCatalog, type ReadOptions } from './load.js'
import type { Catalog } from './types.js'

export type WorkerAnswer =
  | { ok: true, parsed: ParsedCatalog }
  | { ok: false, error: { file: string, entry: string | null, field: string | null, problem: string } }

export interface OffThreadOptions extends ReadOptions {
  /** How long the worker may take to read and validate the files. */
  timeoutMs: number
  /** Aborting stops the worker at once; the load then fails. */
  signal?: AbortSignal
}

// Compiled, the worker is a .js file beside this one; under the test runner's
// TypeScript loader, which worker threads inherit, it is the .ts source.
const workerUrl = new URL(import.meta.url.endsWith('.ts') ? './load-worker.ts' : './load-worker.js', import.meta.url)

export async function loadCatalogOffThread (dir: string, options: OffThreadOptions): Promise<Catalog> {
  const absolute = resolvePath(dir)
  const readOptions: ReadOptions = options.maxFileBytes === undefined ? {} : { maxFileBytes: options.maxFileBytes }
  const answer = await new Promise<WorkerAnswer>((resolve, reject) => {
    const worker = new Worker(workerUrl, { workerData: { dir: absolute, options: readOptions } })
    // A load in progress never keeps the process alive.
    worker.unref()
    let settled = false
    const fail = (problem: string): void => {
      if (settled) return
      settled = true
      cleanup()
      // Terminating a worker that has already exited is no error worth reporting.
      worker.terminate().catch(() => {})
      reject(new CatalogError(absolute, null, null, problem))
    }
    const timer = setTimeout(() => { fail(`reading and validating the catalog took longer than ${options.timeoutMs} ms`) }, options.timeoutMs)
    timer.unref()
    const onAbort = (): void => { fail('the load was abandoned (shutdown)') }
    options.signal?.addEventListener('abort', onAbort, { once: true })
    const cleanup = (): void => {
      clearTimeout(timer)
      options.signal?.removeEventListener('abort', onAbort)
    }
    worker.once('message', (message: WorkerAnswer) => {
      if (settled) return
      settled = true
      cleanup()
      resolve(message)
    })
    worker.once('error', (error) => { fail(`the catalog loader failed (${error.message})`) })
    worker.once('exit', (code) => { fail(`the catalog loader stopped (exit code ${code})`) })
    if (options.signal?.aborted === true) onAbort()
  })
  if (!answer.ok) throw new CatalogError(answer.error.file, answer.error.entry, answer.error.field, answer.error.problem)
  return indexCatalog(answer.parsed)
}

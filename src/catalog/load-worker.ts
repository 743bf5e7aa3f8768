// The worker thread of loadCatalogOffThread: reads and validates a catalog
// directory, and posts the parsed files back, or the reason it refused them.
import { parentPort, workerData } from 'node:worker_threads'
import { CatalogError, parseCatalogFiles, readCatalogFiles, type ReadOptions } from './load.js'
import type { WorkerAnswer } from './off-thread.js'

const { dir, options } = workerData as { dir: string, options: ReadOptions }

async function answer (): Promise<WorkerAnswer> {
  try {
    return { ok: true, parsed: parseCatalogFiles(await readCatalogFiles(dir, options), dir) }
  } catch (error) {
    if (error instanceof CatalogError) return { ok: false, error: { file: error.file, entry: error.entry, field: error.field, problem: error.problem } }
    return { ok: false, error: { file: dir, entry: null, field: null, problem: `cannot be loaded (${String(error)})` } }
  }
}

parentPort?.postMessage(await answer())

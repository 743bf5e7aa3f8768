import { test } from 'tap'
import { readFile, writeFile, cp } from 'node:fs/promises'
import { join } from 'node:path'
import { CATALOG_DIR } from '../helper.js'
import { loadCatalog } from '../../src/catalog/load.js'
import { loadCatalogOffThread } from '../../src/catalog/off-thread.js'

const TIMEOUT_MS = 60_000

test('a catalog loaded in a worker thread is the catalog loaded in this one', async (t) => {
  const [here, there] = await Promise.all([loadCatalog(CATALOG_DIR), loadCatalogOffThread(CATALOG_DIR, { timeoutMs: TIMEOUT_MS })])
  t.equal(there.version, here.version)
  t.same(there.sourceIds, here.sourceIds)
  t.equal(there.allEntries.length, here.allEntries.length)
  t.same(there.byLowerName.get('scope_insufficient'), here.byLowerName.get('scope_insufficient'))
})

test('a catalog the worker refuses fails with the CatalogError naming file, entry and field', async (t) => {
  const dir = t.testdir({})
  await cp(CATALOG_DIR, dir, { recursive: true })
  const file = join(dir, 'scaigrid.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('normalized_code: rate_limited', 'normalized_code: slow_down'))
  await t.rejects(loadCatalogOffThread(dir, { timeoutMs: TIMEOUT_MS }), { name: 'CatalogError', file, entry: /^entries\[\d+\]/, field: 'normalized_code' })
})

test('the file-size bound holds in the worker too', async (t) => {
  await t.rejects(loadCatalogOffThread(CATALOG_DIR, { timeoutMs: TIMEOUT_MS, maxFileBytes: 1024 }),
    { name: 'CatalogError', problem: 'is larger than 1024 bytes; set CATALOG_FILE_LIMIT_BYTES to allow it' })
})

test('a load that outlasts its timeout is refused', async (t) => {
  // No worker starts, let alone reads and validates a catalog, within 1 ms.
  await t.rejects(loadCatalogOffThread(CATALOG_DIR, { timeoutMs: 1 }),
    { name: 'CatalogError', problem: 'reading and validating the catalog took longer than 1 ms' })
})

test('an aborted load is abandoned at once', async (t) => {
  const controller = new AbortController()
  const loading = loadCatalogOffThread(CATALOG_DIR, { timeoutMs: TIMEOUT_MS, signal: controller.signal })
  controller.abort()
  await t.rejects(loading, { name: 'CatalogError', problem: 'the load was abandoned (shutdown)' })
  await t.rejects(loadCatalogOffThread(CATALOG_DIR, { timeoutMs: TIMEOUT_MS, signal: AbortSignal.abort() }),
    { name: 'CatalogError', problem: 'the load was abandoned (shutdown)' }, 'already aborted')
})

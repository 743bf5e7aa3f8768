// `npm run catalog:check [DIR]`: validates a catalog directory exactly as the
// service does at boot, and says what it holds.
import { loadCatalog, CatalogError } from './load.js'

const dir = process.argv[2] ?? process.env.CATALOG_DIR ?? './catalog'
try {
  const catalog = await loadCatalog(dir)
  const counts = catalog.sourceIds.map((id) => `${id} ${catalog.sources.get(id)?.entries.length ?? 0}`)
  process.stdout.write(`catalog ${catalog.dir} is valid: version ${catalog.version}; entries: ${counts.join(', ')}\n`)
} catch (error) {
  if (!(error instanceof CatalogError)) throw error
  process.stderr.write(`invalid catalog: ${error.message}\n`)
  process.exitCode = 3
}

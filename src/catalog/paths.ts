// Where errcat's own files are, whether it runs from src/ (tests), dist/ (the
// service, the library, the CLI) or another build directory (the benchmarks).
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

function findPackageRoot (from: string): string {
  let dir = from
  for (;;) {
    const candidate = join(dir, 'package.json')
    if (existsSync(candidate) && (JSON.parse(readFileSync(candidate, 'utf8')) as { name?: string }).name === 'errcat') return dir
    const parent = dirname(dir)
    /* c8 ignore next */
    if (parent === dir) throw new Error('errcat cannot find its own package.json')
    dir = parent
  }
}

export const PACKAGE_ROOT = findPackageRoot(dirname(fileURLToPath(import.meta.url)))
export const PACKAGE_VERSION = (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version
/** The catalog that ships with errcat. */
export const BUNDLED_CATALOG_DIR = join(PACKAGE_ROOT, 'catalog')

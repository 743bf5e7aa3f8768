// Synthetic catalogs k times the size of the bundled one, for the scaling
// run: every entry and every template is copied k times under a new code
// (and a new leading literal, so templates stay distinct), while copy 0 keeps
// the real entries, so the same inputs classify the same at every size.
// Generated catalogs are written as JSON, which the loader reads far faster
// than YAML.
import { mkdir, readFile, readdir, writeFile, copyFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parse } from 'yaml'
import { BUNDLED_CATALOG_DIR } from '../src/catalog/paths.js'

interface SourceSpec { id: string, entries: Array<Record<string, unknown>> }

function copyEntry (entry: Record<string, unknown>, copy: number, upper: boolean): Record<string, unknown> {
  const suffix = upper ? `_S${copy}` : `_s${copy}`
  const clone: Record<string, unknown> = { ...entry, code: `${String(entry.code)}${suffix}` }
  if (typeof entry.message === 'string') clone.message = `${entry.message} [copy ${copy}]`
  if (typeof entry.template === 'string') {
    const template = entry.template
    // A leading or trailing literal of the copy's own, so copies never overlap.
    clone.template = template.startsWith('{') ? `${template} (copy ${copy})` : `Copy ${copy} ${template}`
  }
  return clone
}

export async function writeSyntheticCatalog (dir: string, factor: number): Promise<{ entries: number }> {
  await mkdir(dir, { recursive: true })
  await copyFile(join(BUNDLED_CATALOG_DIR, 'taxonomy.yaml'), join(dir, 'taxonomy.yaml'))
  let total = 0
  for (const name of (await readdir(BUNDLED_CATALOG_DIR)).filter((file) => file.endsWith('.yaml') && file !== 'taxonomy.yaml')) {
    const spec = parse(await readFile(join(BUNDLED_CATALOG_DIR, name), 'utf8')) as SourceSpec
    const upper = spec.id === 'scaigrid'
    const entries = [...spec.entries]
    for (let copy = 1; copy < factor; copy++) for (const entry of spec.entries) entries.push(copyEntry(entry, copy, upper))
    total += entries.length
    await writeFile(join(dir, `${spec.id}.json`), JSON.stringify({ ...spec, entries }))
  }
  return { entries: total }
}

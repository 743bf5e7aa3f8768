// Real error responses of the systems gateways meet, each copied from a public
// source that the example names (an SDK's tests, a server's source, the
// system's docs), classified as the catalog says they should be. One file per
// source in test/fixtures/upstream/, and other-systems.json for the systems
// errcat has no source for.
import { readdirSync, readFileSync } from 'node:fs'
import { test } from 'tap'
import { classify } from '../../src/engine/classify.js'
import { bundledCatalog } from '../helper.js'

export interface UpstreamExample {
  name: string
  /** Where the response was copied from. */
  reference: string
  status?: number | null
  headers?: Record<string, string>
  content_type?: string | null
  body?: string | null
  /** The time the response was sent, for date-valued headers (ISO 8601). */
  now?: string
  expect: {
    source?: string | null
    code?: string | null
    normalized_code?: string
    matched_by?: string
    retryable?: boolean
    delay_ms?: number | null
    candidates?: string[]
  }
}

const dir = new URL('../fixtures/upstream/', import.meta.url)
const files = readdirSync(dir).filter((name) => name.endsWith('.json')).sort()

test('every example of every upstream source classifies as expected', async (t) => {
  const catalog = await bundledCatalog()
  for (const file of files) {
    // source null: systems errcat has no catalog source for.
    const { source, examples } = JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { source: string | null, examples: UpstreamExample[] }
    if (source !== null) t.ok(catalog.sources.has(source), `${file}: ${source} is a catalog source`)
    t.ok(examples.length > 0, `${file} has examples`)
    for (const example of examples) {
      t.ok(example.reference.length > 0, `${source}: ${example.name} names where it comes from`)
      const result = classify({
        status: example.status ?? null,
        headers: example.headers ?? {},
        contentType: example.content_type ?? null,
        body: example.body ?? null
      }, catalog, example.now === undefined ? {} : { now: Date.parse(example.now) })
      const got: Record<string, unknown> = {
        source: result.source,
        code: result.code,
        normalized_code: result.normalized_code,
        matched_by: result.matched_by,
        retryable: result.retry.retryable,
        delay_ms: result.retry.delay_ms,
        candidates: result.candidates
      }
      const expected = example.expect as Record<string, unknown>
      const compared = Object.fromEntries(Object.keys(expected).map((key) => [key, got[key]]))
      t.same(compared, expected, `${source}: ${example.name}`)
    }
  }
})

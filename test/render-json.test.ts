// The hand-written classification serializer (src/render/json.ts) against
// JSON.stringify, which is what the Classification schema describes: the
// same text, byte for byte, for engine results and for arbitrary values.
import { test } from 'tap'
import fc from 'fast-check'
import { bundledCatalog } from './helpers.js'
import { classify, type Classification, type ClassifyInput, type MatchedBy } from '../src/engine/classify.js'
import { batchJson, classificationJson } from '../src/render/json.js'
import { NORMALIZED_CODES, RETRY_STRATEGIES } from '../src/catalog/schema.js'

const MATCHED_BY: MatchedBy[] = ['code', 'code_pattern', 'message', 'message_template', 'message_pattern', 'type', 'status', 'none']

/** Strings a body can carry: quotes, backslashes, control characters, astral and lone surrogates. */
const anyText = fc.oneof(fc.string({ maxLength: 60 }), fc.string({ unit: 'binary', maxLength: 60 }), fc.constantFrom('"', '\\', '\u2028', '\ud800', '—', '</script>'))
const nullableText = fc.option(anyText, { nil: null })
const count = fc.oneof(fc.nat(), fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY))

const arbitraryClassification: fc.Arbitrary<Classification> = fc.record({
  normalized_code: fc.constantFrom(...NORMALIZED_CODES),
  source: nullableText,
  code: nullableText,
  matched_by: fc.constantFrom(...MATCHED_BY),
  http_status: fc.option(fc.integer({ min: 100, max: 599 }), { nil: null }),
  message: nullableText,
  request_id: nullableText,
  params: fc.dictionary(anyText, anyText, { maxKeys: 3 }),
  retry: fc.record({
    retryable: fc.boolean(),
    strategy: fc.constantFrom(...RETRY_STRATEGIES),
    delay_ms: fc.option(count, { nil: null }),
    max_attempts: count,
    base_delay_ms: count,
    max_delay_ms: count,
    reason: anyText
  }),
  // Catalog remediations are frozen (and their text cached); one made for a single call is not.
  remediation: fc.tuple(fc.record({ action: anyText, diagnostic: nullableText }), fc.boolean())
    .map(([remediation, frozen]) => frozen ? Object.freeze(remediation) : remediation)
})

test('classificationJson writes exactly what JSON.stringify writes, for any classification', async (t) => {
  const property = fc.property(arbitraryClassification, (result) => classificationJson(result) === JSON.stringify(result))
  t.doesNotThrow(() => { fc.assert(property, { seed: 4242, numRuns: 2000 }) }, 'the property holds for 2000 runs (seed 4242)')
  const many = fc.sample(arbitraryClassification, { seed: 7, numRuns: 20 })
  // Decoded whole, so a byte too many or too few (or one mis-encoded) shows.
  t.equal(batchJson(many).toString('utf8'), JSON.stringify({ results: many }), 'a batch answer is the results list, in UTF-8')
  t.equal(batchJson([]).toString('utf8'), '{"results":[]}', 'an empty batch')
  const [one] = many as [Classification]
  const dashed = { ...one, message: 'Backend rate limit exceeded — please retry later 🙂' }
  t.equal(batchJson([dashed, one]).toString('utf8'), JSON.stringify({ results: [dashed, one] }), 'characters past U+007F keep their bytes')
})

test('classificationJson matches JSON.stringify on what the engine returns', async (t) => {
  const catalog = await bundledCatalog()
  const inputs: ClassifyInput[] = [
    { status: 429, body: '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded — please retry later","retry_after":30},"meta":{"request_id":"req_abc123"}}', contentType: 'application/json' },
    { status: 404, body: '{"error":"Unknown provider: sl\\"ack"}', contentType: 'application/json' },
    { status: 403, body: '{"error":{"type":"authentication_error","code":"scope_insufficient","message":"exec scope required"}}', contentType: 'application/json' },
    { status: 500, body: '{"error":{"code":"internal_error","message":"boom"}}', headers: { 'x-request-id': 'req-\u2028"x' } },
    { status: 502, body: '<html><head><title>502 Bad Gateway</title></head></html>', contentType: 'text/html' },
    { status: 503, body: '' },
    { body: 'plain text \u0000 with a control character' }
  ]
  for (const entry of catalog.allEntries) {
    inputs.push({ status: entry.http_status, body: JSON.stringify({ error: { code: entry.code, message: entry.message ?? 'x' } }), contentType: 'application/json' })
  }
  const results = inputs.map((input) => classify(input, catalog))
  const mismatches = results.filter((result) => classificationJson(result) !== JSON.stringify(result))
  t.same(mismatches, [], `${results.length} engine results serialize as JSON.stringify does`)
  t.ok(results.some((result) => result.remediation.action.includes('req-\u2028"x')), 'a remediation made for one call (with its request id) is among them')
  t.ok(results.some((result) => Object.keys(result.params).length > 0), 'a template match with params is among them')
  // The second answer from a cached remediation text is the same as the first.
  const first = results[0] as Classification
  t.equal(classificationJson(first), classificationJson(first), 'a cached remediation text answers the same twice')
})

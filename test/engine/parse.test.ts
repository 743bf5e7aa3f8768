// JSON nested past any real error body's depth is read as text, never handed
// to JSON.parse, whose cost grows with the nesting.
import { test } from 'tap'
import { classify } from '../../src/engine/classify.js'
import { JSON_DEPTH_LIMIT } from '../../src/engine/limits.js'
import { jsonNestsDeeperThan, parseBody } from '../../src/engine/parse.js'
import { bundledCatalog } from '../helper.js'

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth)

test('the depth scan counts objects and arrays, skips strings and their escapes', async (t) => {
  t.equal(jsonNestsDeeperThan(nested(64), 64), false, '64 levels are allowed')
  t.equal(jsonNestsDeeperThan(nested(65), 64), true, '65 are not')
  t.equal(jsonNestsDeeperThan('{"a":' + nested(65, '{"a":', '}') + '}', 64), true, 'objects count as arrays do')
  t.equal(jsonNestsDeeperThan(JSON.stringify({ error: '['.repeat(1000) }), 64), false, 'brackets inside a string are text')
  t.equal(jsonNestsDeeperThan(JSON.stringify({ error: '\\"' + '['.repeat(1000) }), 64), false, 'an escaped quote does not end the string')
  t.equal(jsonNestsDeeperThan('[' + '[]'.repeat(10_000) + ']', 64), false, 'many shallow arrays are shallow')
})

test('a body nested deeper than the limit is classified as text, in the route as in the engine', async (t) => {
  t.equal(JSON_DEPTH_LIMIT, 64)
  const deep = nested(100_000)
  t.equal(parseBody(deep, 'application/json').format, 'text')
  const shallow = parseBody(JSON.stringify({ error: { message: 'x' } }), 'application/json')
  t.equal(shallow.format, 'json')
  const catalog = await bundledCatalog()
  const result = classify({ status: 500, body: deep, contentType: 'application/json' }, catalog)
  t.same({ normalized_code: result.normalized_code, matched_by: result.matched_by, source: result.source }, { normalized_code: 'internal', matched_by: 'status', source: null })
  const objects = nested(100_000, '{"a":', '}')
  t.equal(classify({ status: 429, body: objects, contentType: 'application/json' }, catalog).normalized_code, 'rate_limited')
})

// GET /codes/:code, GET /codes, GET /sources and GET /taxonomy (issue 4): the
// catalog's read side, in JSON for support tools and in text for curl.
import { readFile } from 'node:fs/promises'
import assert from 'node:assert/strict'
import { test } from 'tap'
import fc from 'fast-check'
import { distance } from 'fastest-levenshtein'
import { build, bundledCatalog, SEED_SOURCE_IDS, SOURCE_IDS } from '../helper.js'
import { lookup, search, suggest } from '../../src/engine/lookup.js'
import { DEFAULT_SEARCH_LIMIT } from '../../src/engine/limits.js'
import { UnknownSourceError } from '../../src/engine/errors.js'
import type { Entry } from '../../src/catalog/schema.js'
import type { Problem } from '../../src/http/problems.js'
import type { Catalog } from '../../src/catalog/types.js'

interface LookupAnswer { query: string, matches: Entry[] }
interface SearchAnswer { items: Entry[], total: number }
interface SourceAnswer { id: string, name: string, docs: string[], envelope: string, diagnostic_tool: string | null, entry_count: number }
interface TaxonomyAnswer {
  code: string
  meaning: string
  http_status: number[]
  grpc_code: string
  retry: Entry['retry']
  retry_note?: string
  remediation: Entry['remediation']
}

interface SeedContract {
  xerotier: Array<{ code: string, diagnostic: string | null }>
  scaigrid: Array<{ code: string, http_status: number }>
}

const seeds = JSON.parse(await readFile(new URL('../fixtures/seed-contract.json', import.meta.url), 'utf8')) as SeedContract
const platformDocs = JSON.parse(await readFile(new URL('../fixtures/platform-docs.json', import.meta.url), 'utf8')) as Record<string, string[]>

const NORMALIZED = [
  'invalid_request', 'context_length_exceeded', 'unauthenticated', 'permission_denied', 'not_found',
  'conflict', 'failed_precondition', 'rate_limited', 'quota_exceeded', 'unavailable', 'timeout',
  'upstream_error', 'not_implemented', 'internal', 'overloaded', 'content_policy', 'payload_too_large',
  'cancelled', 'upstream_unreachable', 'gone', 'billing', 'unknown'
]
const PROBLEM_JSON = /^application\/problem\+json/
const TEXT_PLAIN = /^text\/plain/
const JSON_TYPE = /^application\/json/

/**
 * Lines wider than an 80-column terminal (counted in code points) that no
 * long token explains: a URL, a JSON example or a long code is never cut, so
 * it may stretch its line; prose and short values must wrap.
 */
function overlong (text: string): string[] {
  return text.split('\n').filter((line) => [...line].length > 80 && !line.split(/\s+/).some((token) => token.length >= 40))
}

const pairs = (entries: Entry[]): string[] => entries.map((entry) => `${entry.source}/${entry.code}`)

test('GET /codes/:code answers the query as asked and the entry, exact spelling', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes/scope_insufficient' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], JSON_TYPE)
  const body = res.json<LookupAnswer>()
  t.equal(body.query, 'scope_insufficient')
  t.equal(body.matches.length, 1)
  const [entry] = body.matches
  t.match(entry, {
    source: 'xerotier',
    code: 'scope_insufficient',
    kind: 'code',
    normalized_code: 'permission_denied',
    http_status: 403,
    title: 'API key lacks the scope the call needs',
    description: /does not carry the scope required/,
    type: 'authentication_error',
    notes: /ManagementScopeMiddleware/,
    reference: 'https://xerotier.ai/docs/xeroctl/platform'
  })
  t.equal(entry?.inferred, undefined, 'its 403 is published')
  t.same(entry?.retry, { retryable: false, strategy: 'none', max_attempts: 1, base_delay_ms: 0, max_delay_ms: 0 })
  t.equal(entry?.remediation.diagnostic, 'xeroctl keys')
  t.match(entry?.remediation.action, /Re-issue the key with that scope/)
  t.same(Object.keys(entry?.retry ?? {}).sort(), ['base_delay_ms', 'max_attempts', 'max_delay_ms', 'retryable', 'strategy'])
  t.same(Object.keys(entry?.remediation ?? {}).sort(), ['action', 'diagnostic'])
})

test('a code in another case is found case-insensitively, and the query is echoed as asked', async (t) => {
  const { app } = await build(t)
  for (const asked of ['SCOPE_INSUFFICIENT', 'Scope_Insufficient']) {
    const res = await app.inject({ url: `/codes/${asked}` })
    t.equal(res.statusCode, 200, asked)
    const body = res.json<LookupAnswer>()
    t.equal(body.query, asked)
    t.same(pairs(body.matches), ['xerotier/scope_insufficient'])
    t.equal(body.matches[0]?.remediation.diagnostic, 'xeroctl keys')
  }
  const encoded = await app.inject({ url: '/codes/scope%5Finsufficient' })
  t.equal(encoded.statusCode, 200, 'a percent-encoded code is decoded')
  t.equal(encoded.json<LookupAnswer>().query, 'scope_insufficient')
})

test('QUOTA_EXCEEDED answers every source that has it, exact spellings first', async (t) => {
  const { app } = await build(t)
  const upper = (await app.inject({ url: '/codes/QUOTA_EXCEEDED' })).json<LookupAnswer>()
  t.equal(upper.query, 'QUOTA_EXCEEDED')
  t.same(pairs(upper.matches.slice(0, 2)).sort(), ['nullspace/QUOTA_EXCEEDED', 'scaigrid/QUOTA_EXCEEDED'], 'exact spellings first')
  t.same(pairs(upper.matches.slice(2)).sort(), ['onecli/quota_exceeded', 'xerotier/quota_exceeded'], 'then other spellings')
  t.ok(upper.matches.every((entry) => entry.normalized_code === 'quota_exceeded' && entry.http_status === 429), 'all quota_exceeded, 429')

  const lower = (await app.inject({ url: '/codes/quota_exceeded' })).json<LookupAnswer>()
  t.same(pairs(lower.matches.slice(0, 2)).sort(), ['onecli/quota_exceeded', 'xerotier/quota_exceeded'], 'the lowercase spellings are exact now')
  t.same(pairs(lower.matches.slice(2)).sort(), ['nullspace/QUOTA_EXCEEDED', 'scaigrid/QUOTA_EXCEEDED'])
})

test('internal_error is xerotier\'s, nullspace\'s and (as INTERNAL_ERROR) scaigrid\'s', async (t) => {
  const { app } = await build(t)
  const everywhere = (await app.inject({ url: '/codes/internal_error' })).json<LookupAnswer>()
  const seedSources = (answer: LookupAnswer): LookupAnswer => ({ ...answer, matches: answer.matches.filter((entry) => SEED_SOURCE_IDS.includes(entry.source)) })
  const body = seedSources(everywhere)
  t.equal(body.matches.length, 3)
  t.same(pairs(body.matches.slice(0, 2)).sort(), ['nullspace/internal_error', 'xerotier/internal_error'])
  t.same(pairs(body.matches.slice(2)), ['scaigrid/INTERNAL_ERROR'])
  t.ok(body.matches.every((entry) => entry.normalized_code === 'internal' && entry.http_status === 500))
  const upper = seedSources((await app.inject({ url: '/codes/INTERNAL_ERROR' })).json<LookupAnswer>())
  t.same(pairs(upper.matches.slice(0, 1)), ['scaigrid/INTERNAL_ERROR'], 'the uppercase spelling is exact for scaigrid only')
  t.same(pairs(upper.matches.slice(1)).sort(), ['nullspace/internal_error', 'xerotier/internal_error'])
  const xerotier = body.matches.find((entry) => entry.source === 'xerotier')
  t.equal(xerotier?.remediation.diagnostic, null, 'xerotier internal_error has no diagnostic command')
  t.same(xerotier?.retry, { retryable: true, strategy: 'exponential_backoff', max_attempts: 3, base_delay_ms: 500, max_delay_ms: 8000 })
})

test('?source= narrows the matches', async (t) => {
  const { app } = await build(t)
  const scaigrid = (await app.inject({ url: '/codes/internal_error?source=scaigrid' })).json<LookupAnswer>()
  t.equal(scaigrid.query, 'internal_error')
  t.same(pairs(scaigrid.matches), ['scaigrid/INTERNAL_ERROR'])
  const xerotier = (await app.inject({ url: '/codes/QUOTA_EXCEEDED?source=xerotier' })).json<LookupAnswer>()
  t.same(pairs(xerotier.matches), ['xerotier/quota_exceeded'])
  const nullspace = (await app.inject({ url: '/codes/internal_error?source=nullspace' })).json<LookupAnswer>()
  t.same(pairs(nullspace.matches), ['nullspace/internal_error'])

  const missing = await app.inject({ url: '/codes/scope_insufficient?source=nullspace' })
  t.equal(missing.statusCode, 404, 'a code another source has is unknown to the named source')
  t.match(missing.json(), { type: 'urn:errcat:problem:unknown-code', status: 404 })
})

test('an unknown source is a 400 problem listing the valid ids', async (t) => {
  const { app } = await build(t)
  for (const url of ['/codes/internal_error?source=nope', '/codes?source=nope']) {
    const res = await app.inject({ url, headers: { 'x-request-id': 'src-1' } })
    t.equal(res.statusCode, 400, url)
    t.match(res.headers['content-type'], PROBLEM_JSON)
    t.equal(res.headers['x-request-id'], 'src-1')
    const body = res.json<Problem>()
    t.match(body, { type: 'urn:errcat:problem:unknown-source', status: 400, request_id: 'src-1', field: 'source' })
    t.same(body.valid_values, SOURCE_IDS)
    t.equal(body.instance, url.split('?')[0], 'the instance is the path, without the query')
  }
})

test('entries carry message, template and type where they exist, and omit what does not', async (t) => {
  const { app } = await build(t)
  const template = (await app.inject({ url: '/codes/app_provider_unknown?source=onecli' })).json<LookupAnswer>()
  t.match(template.matches, [{ source: 'onecli', code: 'app_provider_unknown', kind: 'template', template: 'Unknown provider: {provider}', normalized_code: 'not_found', http_status: 404 }])
  t.notOk('message' in (template.matches[0] ?? {}), 'a template entry has no message')

  const message = (await app.inject({ url: '/codes/agent_not_found?source=onecli' })).json<LookupAnswer>()
  t.match(message.matches, [{ source: 'onecli', code: 'agent_not_found', kind: 'message', message: 'Agent not found', normalized_code: 'not_found', http_status: 404 }])

  const typed = (await app.inject({ url: '/codes/unexpected_error?source=onecli' })).json<LookupAnswer>()
  t.match(typed.matches, [{ kind: 'message', message: 'An unexpected error occurred.', type: 'api_error', normalized_code: 'internal' }])

  const plain = (await app.inject({ url: '/codes/QUOTA_EXCEEDED?source=scaigrid' })).json<LookupAnswer>()
  const entry = plain.matches[0] ?? {}
  t.same(Object.keys(entry).filter((key) => ['message', 'template', 'type', 'notes', 'inferred'].includes(key)), [],
    'scaigrid QUOTA_EXCEEDED has no message, template, type, notes or inferred fields, not even as null')
  t.match(entry, { source: 'scaigrid', code: 'QUOTA_EXCEEDED', title: 'Hard quota reached', http_status: 429 })
})

test('envelope types and bare statuses answer when no code does', async (t) => {
  const { app } = await build(t)
  const type = (await app.inject({ url: '/codes/authorization_error' })).json<LookupAnswer>()
  t.match(type.matches, [{ source: 'xerotier', code: 'authorization_error', kind: 'type', type: 'authorization_error', normalized_code: 'permission_denied' }])
  const status = (await app.inject({ url: '/codes/BAD_REQUEST?source=onecli' })).json<LookupAnswer>()
  t.match(status.matches, [{ source: 'onecli', code: 'bad_request', kind: 'status', http_status: 400, normalized_code: 'invalid_request' }])
})

test('an unknown code is a 404 problem with the nearest codes as suggestions', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes/scope_insuficient', headers: { 'x-request-id': 'sugg-1' } })
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], PROBLEM_JSON)
  const body = res.json<Problem>()
  t.match(body, {
    type: 'urn:errcat:problem:unknown-code',
    title: 'Unknown code',
    status: 404,
    detail: /scope_insuficient/,
    instance: '/codes/scope_insuficient',
    request_id: 'sugg-1'
  })
  t.equal(body.suggestions?.[0], 'scope_insufficient', 'the nearest code comes first')

  const upper = (await app.inject({ url: '/codes/SCOPE_INSUFICIENT' })).json<Problem>()
  t.equal(upper.suggestions?.[0], 'scope_insufficient', 'suggestions ignore case')

  const prefix = (await app.inject({ url: '/codes/volume_' })).json<Problem>()
  t.equal(prefix.suggestions?.length, 5, 'a prefix suggests the codes it starts')
  t.ok(prefix.suggestions?.every((code) => code.startsWith('volume_')), JSON.stringify(prefix.suggestions))

  const nothing = await app.inject({ url: '/codes/zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' })
  t.equal(nothing.statusCode, 404)
  t.same(nothing.json<Problem>().suggestions, [], 'nothing near: an empty list')
})

test('a code only a pattern rule knows answers 200 with the pattern entry', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes/SCAIMATRIX_INDEX_NOT_FOUND' })
  t.equal(res.statusCode, 200)
  const body = res.json<LookupAnswer>()
  t.equal(body.query, 'SCAIMATRIX_INDEX_NOT_FOUND')
  t.equal(body.matches.length, 1)
  t.match(body.matches[0], { source: 'scaigrid', kind: 'pattern', code: '*_NOT_FOUND', normalized_code: 'not_found', http_status: 404 })
  const narrowed = await app.inject({ url: '/codes/SCAIMATRIX_INDEX_NOT_FOUND?source=xerotier' })
  t.equal(narrowed.statusCode, 404, 'xerotier has no pattern for it')
})

test('every xerotier seed code answers 200 with the seed\'s diagnostic exactly', async (t) => {
  const { app } = await build(t)
  t.equal(seeds.xerotier.length, 26)
  for (const seed of seeds.xerotier) {
    const res = await app.inject({ url: `/codes/${encodeURIComponent(seed.code)}?source=xerotier` })
    t.equal(res.statusCode, 200, seed.code)
    const [entry] = res.json<LookupAnswer>().matches
    t.equal(entry?.code, seed.code)
    t.equal(entry?.remediation.diagnostic, seed.diagnostic, `${seed.code} diagnostic`)
  }
})

test('every scaigrid table code answers with the seed\'s http_status', async (t) => {
  const { app } = await build(t)
  t.equal(seeds.scaigrid.length, 63)
  for (const seed of seeds.scaigrid) {
    const res = await app.inject({ url: `/codes/${encodeURIComponent(seed.code)}` })
    t.equal(res.statusCode, 200, seed.code)
    const entry = res.json<LookupAnswer>().matches.find((match) => match.source === 'scaigrid')
    t.equal(entry?.code, seed.code)
    t.equal(entry?.http_status, seed.http_status, `${seed.code} http_status`)
  }
})

test('the lookup engine rejects an unknown source and narrows suggestions to a source', async (t) => {
  const catalog = await bundledCatalog()
  t.throws(() => lookup('x', catalog, { source: 'nope' }), UnknownSourceError)
  t.throws(() => search(catalog, { source: 'nope' }), UnknownSourceError)
  t.throws(() => suggest('x', catalog, { source: 'nope' }), UnknownSourceError)
  try {
    lookup('x', catalog, { source: 'nope' })
  } catch (error) {
    t.same((error as UnknownSourceError).validIds, SOURCE_IDS)
  }
  t.same(suggest('scope_insuficient', catalog, { source: 'nullspace' }).includes('scope_insufficient'), false,
    'a xerotier code is not suggested for nullspace')
  t.equal(suggest('scope_insuficient', catalog, { source: 'xerotier' })[0], 'scope_insufficient')
})

/** The suggestion rule stated plainly, one pass over every entry: what the index must agree with. */
function suggestByScanning (code: string, catalog: Catalog, source?: string): string[] {
  const query = code.toLowerCase()
  const limit = Math.max(2, Math.floor(query.length / 4))
  const scored = new Map<string, number>()
  for (const entry of catalog.allEntries) {
    const text = entry.code.toLowerCase()
    if ((source !== undefined && entry.source !== source) || entry.kind === 'pattern' || scored.has(text)) continue
    if (Math.abs(text.length - query.length) > limit && !text.startsWith(query)) continue
    const edits = distance(text, query)
    const score = text.startsWith(query) || query.startsWith(text) ? Math.min(edits, 1) : edits
    if (score <= limit) scored.set(text, score)
  }
  return [...scored].sort((a, b) => a[1] - b[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, 5).map(([text]) => text)
}

/** Near misses of known codes: cut short, with a few characters appended, as they are or in uppercase. */
function nearMisses (codes: string[]) {
  return fc.tuple(fc.constantFrom(...codes), fc.nat(5), fc.string({ maxLength: 3 }), fc.boolean()).map(([code, cut, tail, upper]) => {
    const text = code.slice(0, Math.max(1, code.length - (cut % code.length))) + tail
    return upper ? text.toUpperCase() : text
  })
}

/**
 * Holds suggest() to the plain scan for queries and sources drawn at random,
 * and returns how many queries had suggestions to compare.
 */
function suggestionsAgree (catalog: Catalog, query: fc.Arbitrary<string>, sources: readonly string[], numRuns: number): number {
  let nonEmpty = 0
  fc.assert(fc.property(query, fc.option(fc.constantFrom(...sources), { nil: undefined }), (code, id) => {
    const expected = suggestByScanning(code, catalog, id)
    if (expected.length > 0) nonEmpty++
    assert.deepEqual(suggest(code, catalog, { source: id }), expected, `${JSON.stringify(code)} in ${id ?? 'every source'}`)
  }), { seed: 20261122, numRuns })
  return nonEmpty
}

test('suggestions equal a plain scan of every entry', async (t) => {
  const catalog = await bundledCatalog()
  const codes = [...new Set(catalog.allEntries.filter((entry) => entry.kind !== 'pattern').map((entry) => entry.code))]
  const query = fc.oneof(nearMisses(codes), fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('v', 'volume_', 'SANDBOX', 'rate_limit', 'x'))
  const nonEmpty = suggestionsAgree(catalog, query, SEED_SOURCE_IDS, 3000)
  t.ok(nonEmpty > 750, `a quarter of the queries or more had suggestions to compare (${nonEmpty} of 3000)`)
})

test('suggestions from a catalog of thousands of codes sharing their stems equal a plain scan', async (t) => {
  // Codes that share their stems, some with characters outside ASCII and outside the Basic Multilingual Plane.
  const stems = ['rate_limit', 'quota_used', 'model_gone', 'tëmp_is_hot', 'x😀y_broken']
  const sources = ['alpha', 'beta', 'gamma']
  const allEntries = Array.from({ length: 2400 }, (_, i) => {
    const code = `${stems[i % stems.length] as string}_${((i * 7919) % 1296).toString(36)}`
    return { source: sources[i % sources.length] as string, code: i % 2 === 0 ? code : code.toUpperCase(), kind: i % 97 === 0 ? 'pattern' : 'code' }
  })
  const catalog = { allEntries, sources: new Map(sources.map((id) => [id, {}])), sourceIds: sources } as unknown as Catalog
  const codes = allEntries.map(({ code }) => code)
  const query = fc.oneof(nearMisses(codes), fc.string({ unit: 'binary', minLength: 1, maxLength: 16 }), fc.constantFrom('r', 'rate_limit_', 'tëmp_is_hot_1', 'x😀y_broken_z', 'x😀'))
  const nonEmpty = suggestionsAgree(catalog, query, sources, 1000)
  t.ok(nonEmpty > 250, `a quarter of the queries or more had suggestions to compare (${nonEmpty} of 1000)`)
})

test('GET /codes with no query lists the whole catalog, paged', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()
  const body = (await app.inject({ url: '/codes' })).json<SearchAnswer>()
  t.equal(body.total, catalog.allEntries.length)
  t.equal(body.items.length, Math.min(DEFAULT_SEARCH_LIMIT, body.total))
  t.same(Object.keys(body).sort(), ['items', 'total'])
})

test('GET /codes?q=quota finds the quota entries of all four platforms', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes?q=quota&limit=100' })
  t.equal(res.statusCode, 200)
  const body = res.json<SearchAnswer>()
  t.equal(body.items.length, body.total, 'all hits fit one page of 100')
  const sources = new Set(body.items.map((entry) => entry.source))
  for (const id of SEED_SOURCE_IDS) t.ok(sources.has(id), `${id} has quota entries`)
  const found = pairs(body.items)
  for (const expected of ['nullspace/QUOTA_EXCEEDED', 'nullspace/volume_quota_exceeded', 'scaigrid/QUOTA_EXCEEDED',
    'scaigrid/BUNKER_QUOTA_EXCEEDED', 'onecli/quota_exceeded', 'xerotier/quota_exceeded', 'xerotier/insufficient_quota']) {
    t.ok(found.includes(expected), `finds ${expected}`)
  }
  t.ok(body.items.every((entry) => [entry.code, entry.title, entry.description, entry.message ?? '', entry.template ?? '']
    .join(' ').toLowerCase().includes('quota')), 'every hit mentions quota in a searched field')

  const upper = (await app.inject({ url: '/codes?q=QUOTA&limit=100' })).json<SearchAnswer>()
  t.equal(upper.total, body.total, 'q ignores case')
})

test('GET /codes searches titles, descriptions and messages, every word of q', async (t) => {
  const { app } = await build(t)
  const message = (await app.inject({ url: '/codes?q=' + encodeURIComponent('start with a letter, and contain') })).json<SearchAnswer>()
  t.same(pairs(message.items), ['onecli/agent_identifier_invalid'], 'words only in a message')
  t.equal(message.total, 1)

  const title = (await app.inject({ url: '/codes?q=' + encodeURIComponent('hard quota reached') })).json<SearchAnswer>()
  t.same(pairs(title.items), ['scaigrid/QUOTA_EXCEEDED'], 'words of a title')

  const description = (await app.inject({ url: '/codes?q=' + encodeURIComponent('surface it called') })).json<SearchAnswer>()
  t.ok(pairs(description.items).includes('xerotier/scope_insufficient'), 'words of a description')

  const none = (await app.inject({ url: '/codes?q=' + encodeURIComponent('quota zebra') })).json<SearchAnswer>()
  t.same(none, { items: [], total: 0 }, 'every word must appear')
})

test('GET /codes pages with limit and offset', async (t) => {
  const { app } = await build(t)
  const all = (await app.inject({ url: '/codes?q=quota&limit=100' })).json<SearchAnswer>()
  t.ok(all.total > 6, 'enough hits to page')
  const page = (await app.inject({ url: '/codes?q=quota&limit=3&offset=2' })).json<SearchAnswer>()
  t.equal(page.total, all.total, 'total counts every hit, not the page')
  t.same(pairs(page.items), pairs(all.items.slice(2, 5)))
  const first = (await app.inject({ url: '/codes?q=quota&limit=1' })).json<SearchAnswer>()
  t.same(pairs(first.items), pairs(all.items.slice(0, 1)))
  const past = (await app.inject({ url: `/codes?q=quota&offset=${all.total}` })).json<SearchAnswer>()
  t.same(past, { items: [], total: all.total })
})

test('GET /codes filters by normalized_code and by source', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()

  const rate = (await app.inject({ url: '/codes?normalized_code=rate_limited&limit=100' })).json<SearchAnswer>()
  t.equal(rate.total, catalog.allEntries.filter((entry) => entry.normalized_code === 'rate_limited').length)
  t.ok(rate.total > 0)
  t.ok(rate.items.every((entry) => entry.normalized_code === 'rate_limited'))

  const xerotier = (await app.inject({ url: '/codes?source=xerotier&limit=100' })).json<SearchAnswer>()
  t.equal(xerotier.total, catalog.allEntries.filter((entry) => entry.source === 'xerotier').length)
  t.ok(xerotier.items.every((entry) => entry.source === 'xerotier'))
  t.equal(xerotier.items.length, xerotier.total)

  const both = (await app.inject({ url: '/codes?q=quota&source=scaigrid&normalized_code=quota_exceeded&limit=100' })).json<SearchAnswer>()
  t.ok(both.total > 0)
  t.ok(both.items.every((entry) => entry.source === 'scaigrid' && entry.normalized_code === 'quota_exceeded'))
  t.ok(pairs(both.items).includes('scaigrid/QUOTA_EXCEEDED'))
})

test('GET /codes rejects out-of-range paging and unknown filters with a 400 naming the field', async (t) => {
  const { app } = await build(t)
  const cases: Array<[string, string]> = [['limit=101', 'limit'], ['limit=0', 'limit'], ['offset=-1', 'offset'], ['normalized_code=bogus', 'normalized_code']]
  for (const [query, field] of cases) {
    const res = await app.inject({ url: `/codes?${query}` })
    t.equal(res.statusCode, 400, query)
    t.match(res.headers['content-type'], PROBLEM_JSON)
    const body = res.json<Problem>()
    t.match(body, { status: 400, type: 'urn:errcat:problem:validation', instance: '/codes' })
    t.equal(body.field, field)
    t.match(body.detail, field)
  }
  const ok = await app.inject({ url: '/codes?limit=100' })
  t.equal(ok.statusCode, 200, 'limit 100 is allowed')
  t.equal(ok.json<SearchAnswer>().items.length, 100)
})

test('GET /sources lists each source with its docs, envelope and entry count', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()
  const res = await app.inject({ url: '/sources' })
  t.equal(res.statusCode, 200)
  const { sources } = res.json<{ sources: SourceAnswer[] }>()
  t.same(sources.map((source) => source.id), SOURCE_IDS)
  for (const source of sources) {
    t.equal(source.entry_count, catalog.allEntries.filter((entry) => entry.source === source.id).length, `${source.id} entry_count`)
    if (SEED_SOURCE_IDS.includes(source.id)) t.same(source.docs.map((url) => url.replace(/^https:\/\//, '')).slice(0, platformDocs[source.id]?.length), platformDocs[source.id], `${source.id} docs begin with its error reference pages`)
    t.ok(source.docs.every((url) => url.startsWith('https://')), `${source.id} docs are https links`)
    t.ok(source.envelope.length > 40, `${source.id} has an envelope summary`)
  }
  t.match(sources.find((source) => source.id === 'xerotier'), { name: 'Xerotier', diagnostic_tool: 'xeroctl', envelope: /retry_after/ })
  t.match(sources.find((source) => source.id === 'onecli'), { name: 'OneCLI', diagnostic_tool: 'onecli' })
  t.match(sources.find((source) => source.id === 'scaigrid'), { name: /ScaiGrid/, envelope: /request_id/ })

  const ready = (await app.inject({ url: '/readyz' })).json<{ catalog: { entries: number } }>()
  t.equal(sources.reduce((sum, source) => sum + source.entry_count, 0), ready.catalog.entries, 'the counts add up to the catalog')
})

test('GET /taxonomy lists every normalized code with HTTP, gRPC and default retry', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/taxonomy' })
  t.equal(res.statusCode, 200)
  const { codes } = res.json<{ codes: TaxonomyAnswer[] }>()
  t.equal(codes.length, NORMALIZED.length)
  t.same(codes.map((code) => code.code).sort(), [...NORMALIZED].sort())
  for (const code of codes) {
    t.ok(code.meaning.length > 10, `${code.code} has a meaning`)
    t.match(code.grpc_code, /^[A-Z_]+$/, `${code.code} grpc_code`)
    t.ok(Array.isArray(code.http_status) && code.http_status.every((status) => status >= 400 && status <= 599), `${code.code} http_status`)
  }
  const byCode = new Map(codes.map((code) => [code.code, code]))
  t.match(byCode.get('rate_limited'), { http_status: [429], grpc_code: 'RESOURCE_EXHAUSTED' })
  t.same(byCode.get('rate_limited')?.retry, { retryable: true, strategy: 'exponential_backoff', max_attempts: 3, base_delay_ms: 500, max_delay_ms: 8000 })
  t.match(byCode.get('upstream_error'), { grpc_code: 'UNAVAILABLE', http_status: [502], retry: { retryable: true, max_attempts: 2 } })
  t.match(byCode.get('not_found'), { grpc_code: 'NOT_FOUND', http_status: [404], retry: { retryable: false, max_attempts: 1 } })
  t.match(byCode.get('quota_exceeded'), { grpc_code: 'RESOURCE_EXHAUSTED', retry: { retryable: false } })
  t.match(byCode.get('unknown'), { grpc_code: 'UNKNOWN', http_status: [] })
})

test('text rendering of scope_insufficient: platform, meaning, normalized code, retry and xeroctl keys, aligned', async (t) => {
  const { app } = await build(t)
  const viaAccept = await app.inject({ url: '/codes/scope_insufficient', headers: { accept: 'text/plain' } })
  const viaQuery = await app.inject({ url: '/codes/scope_insufficient?format=text' })
  t.equal(viaAccept.statusCode, 200)
  t.match(viaAccept.headers['content-type'], TEXT_PLAIN)
  t.match(viaQuery.headers['content-type'], TEXT_PLAIN)
  t.equal(viaAccept.body, viaQuery.body, 'Accept and ?format=text give the same text')
  const text = viaAccept.body
  t.match(text, /^scope_insufficient\s+\(xerotier\)$/m, 'the platform')
  t.match(text, /^\s+Normalized\s+permission_denied$/m, 'the normalized code')
  t.match(text, /^\s+Meaning\s+The API key was accepted/m, 'the meaning')
  t.match(text, /^\s+Retry\s+no$/m, 'the retry')
  t.match(text, /^\s+Diagnostic\s+xeroctl keys$/m, 'the diagnostic command')
  t.match(text, /^\s+Type\s+authentication_error$/m)
  t.same(overlong(text), [])
  // Aligned: every labelled value, and every continuation line, starts in the same column.
  const label = /^( {2}(?:Normalized|HTTP status|Type|Retry|Meaning|Action|Diagnostic|Notes) +)\S/
  const labelled = text.split('\n').map((line) => label.exec(line)).filter((match) => match !== null)
  t.equal(labelled.length, 8)
  const columns = new Set(labelled.map((match) => match[1]?.length))
  t.equal(columns.size, 1, 'values aligned in one column')
  const column = [...columns][0] as number
  const continuations = text.split('\n').filter((line) => /^ {4,}\S/.test(line))
  t.ok(continuations.length > 0)
  t.ok(continuations.every((line) => line.search(/\S/) === column), 'wrapped lines align with the values')
  t.notMatch(text, /^\s*[{[]|"matches"|"remediation"/, 'no JSON in the text answer')
})

test('text rendering of a retryable entry describes its backoff', async (t) => {
  const { app } = await build(t)
  const text = (await app.inject({ url: '/codes/internal_error?source=xerotier&format=text' })).body
  t.match(text, /^\s+Retry\s+yes\b/m)
  t.match(text, /\b3\s+attempts\b/)
  t.match(text, /backing off from 0\.5 s to\s+8 s with jitter/)
  t.match(text, /^\s+Diagnostic\s+none published$/m)
})

test('every catalog code of every source renders within 80 columns, save a token too long to cut', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()
  const failures: string[] = []
  const wide: string[] = []
  for (const entry of catalog.allEntries) {
    const url = `/codes/${encodeURIComponent(entry.code)}?source=${entry.source}&format=text`
    const res = await app.inject({ url })
    if (res.statusCode !== 200 || !TEXT_PLAIN.test(String(res.headers['content-type']))) failures.push(`${url} ${res.statusCode}`)
    for (const line of overlong(res.body)) wide.push(`${entry.source}/${entry.code}: ${line}`)
  }
  t.same(failures, [], 'every entry is found by its own code')
  t.same(wide, [], 'no line wider than 80 columns')
})

test('/codes, /sources and /taxonomy render within 80 columns in text, save a token too long to cut', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()
  const urls = ['/sources?format=text', '/taxonomy?format=text', '/codes?format=text&q=quota']
  for (let offset = 0; offset < catalog.allEntries.length; offset += 100) urls.push(`/codes?format=text&limit=100&offset=${offset}`)
  for (const url of urls) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, url)
    t.match(res.headers['content-type'], TEXT_PLAIN)
    t.same(overlong(res.body), [], `${url} fits 80 columns`)
  }
  const sources = (await app.inject({ url: '/sources', headers: { accept: 'text/plain' } })).body
  for (const id of SOURCE_IDS) t.match(sources, new RegExp(`^${id}\\b`, 'm'), `${id} listed`)
  const xerotierCount = catalog.allEntries.filter((entry) => entry.source === 'xerotier').length
  t.match(sources, new RegExp(`^xerotier .*\\(${xerotierCount} entries\\)$`, 'm'), 'the text names the entry count')
  const taxonomy = (await app.inject({ url: '/taxonomy', headers: { accept: 'text/plain' } })).body
  for (const code of NORMALIZED) t.match(taxonomy, new RegExp(`^${code}\\b`, 'm'), `${code} listed`)
  t.match(taxonomy, /^rate_limited .*RESOURCE_EXHAUSTED/m)
  const search = (await app.inject({ url: '/codes?q=scope_insufficient', headers: { accept: 'text/plain' } })).body
  t.match(search, /^SOURCE\s+CODE\s+HTTP\s+NORMALIZED\b/m, 'search results come in columns, under a header')
  t.match(search, /^xerotier\s+scope_insufficient\s+403\s+permission_denied\b/m)
})

test('a text search page past the end says so plainly', async (t) => {
  const { app } = await build(t)
  const { total } = (await app.inject({ url: '/codes?q=quota&limit=100' })).json<SearchAnswer>()
  const inside = (await app.inject({ url: '/codes?q=quota&limit=2&offset=2&format=text' })).body
  t.match(inside, new RegExp(`^${total} entries, showing 3-4$`, 'm'), 'the header names the rows shown')
  const none = (await app.inject({ url: '/codes?q=zebra&format=text' })).body
  t.match(none, /^0 entries$/m)
})

test('a text search page past the end claims no inverted range', async (t) => {
  const { app } = await build(t)
  const { total } = (await app.inject({ url: '/codes?q=quota&limit=100' })).json<SearchAnswer>()
  const past = await app.inject({ url: `/codes?q=quota&offset=${total + 10}&format=text` })
  t.equal(past.statusCode, 200)
  const range = /showing (\d+)-(\d+)/.exec(past.body)
  t.ok(range === null || Number(range[1]) <= Number(range[2]), `no inverted range in: ${JSON.stringify(past.body.split('\n')[0])}`)
})

test('JSON stays the default; Accept with q-values picks the preferred type', async (t) => {
  const { app } = await build(t)
  const cases: Array<[string | undefined, RegExp]> = [
    [undefined, JSON_TYPE],
    ['*/*', JSON_TYPE],
    ['application/json', JSON_TYPE],
    ['application/json, text/plain', JSON_TYPE],
    ['text/plain', TEXT_PLAIN],
    ['text/*', TEXT_PLAIN],
    ['text/plain, application/json;q=0.5', TEXT_PLAIN],
    ['application/json;q=0.5, text/plain', TEXT_PLAIN],
    ['text/plain;q=0.4, application/json;q=0.9', JSON_TYPE],
    ['text/html', JSON_TYPE]
  ]
  for (const url of ['/codes/scope_insufficient', '/codes?q=quota', '/sources', '/taxonomy']) {
    for (const [accept, expected] of cases) {
      const res = await app.inject({ url, headers: accept === undefined ? {} : { accept } })
      t.equal(res.statusCode, 200)
      t.match(res.headers['content-type'], expected, `${url} Accept: ${accept ?? '(none)'}`)
    }
  }
  const explicit = await app.inject({ url: '/codes/scope_insufficient?format=json', headers: { accept: 'text/plain' } })
  t.match(explicit.headers['content-type'], JSON_TYPE, '?format=json wins over Accept')
  t.equal(explicit.json<LookupAnswer>().query, 'scope_insufficient')
})

test('a 404 in text mode answers text with the suggestions', async (t) => {
  const { app } = await build(t)
  for (const request of [
    { url: '/codes/scope_insuficient', headers: { accept: 'text/plain', 'x-request-id': 'txt-404' } },
    { url: '/codes/scope_insuficient?format=text', headers: { 'x-request-id': 'txt-404' } }
  ]) {
    const res = await app.inject(request)
    t.equal(res.statusCode, 404)
    t.match(res.headers['content-type'], TEXT_PLAIN)
    t.match(res.body, /scope_insuficient/)
    t.match(res.body, /Did you mean\s+scope_insufficient/)
    t.match(res.body, /txt-404/, 'the request id, to quote')
    t.same(overlong(res.body), [])
  }
})

test('answers carry ETag and Cache-Control, and If-None-Match answers 304', async (t) => {
  const { app } = await build(t)
  for (const url of ['/codes/scope_insufficient', '/codes?q=quota', '/sources', '/taxonomy']) {
    const first = await app.inject({ url })
    t.equal(first.statusCode, 200)
    const etag = first.headers.etag as string
    t.match(etag, /^(W\/)?"[^"]+"$/, `${url} has an ETag`)
    t.match(first.headers['cache-control'], /max-age=\d+/, `${url} has Cache-Control`)
    t.match(first.headers.vary, /accept/i, 'the answer varies by Accept')

    const cached = await app.inject({ url, headers: { 'if-none-match': etag } })
    t.equal(cached.statusCode, 304, `${url} If-None-Match`)
    t.equal(cached.body, '', '304 has an empty body')
    t.equal(cached.headers.etag, etag, '304 repeats the ETag')
    t.match(cached.headers['cache-control'], /max-age=\d+/)

    const listed = await app.inject({ url, headers: { 'if-none-match': `"other", ${etag}` } })
    t.equal(listed.statusCode, 304, 'an ETag in a list matches')

    const stale = await app.inject({ url, headers: { 'if-none-match': '"not-the-etag"' } })
    t.equal(stale.statusCode, 200, 'a different ETag gets the answer')
    t.equal(stale.body, first.body)

    const text = await app.inject({ url, headers: { accept: 'text/plain' } })
    t.equal(text.statusCode, 200)
    t.not(text.headers.etag, etag, 'text and JSON have different ETags')
    const crossed = await app.inject({ url, headers: { accept: 'text/plain', 'if-none-match': etag } })
    t.equal(crossed.statusCode, 200, 'the JSON ETag does not validate the text answer')
    t.match(crossed.headers['content-type'], TEXT_PLAIN)
    const textCached = await app.inject({ url: url + (url.includes('?') ? '&' : '?') + 'format=text', headers: { 'if-none-match': text.headers.etag as string } })
    t.equal(textCached.statusCode, 304, 'the text ETag validates the text answer')
  }
})

test('an ETag from another catalog version is not current', async (t) => {
  const catalog = await bundledCatalog()
  const { app: before } = await build(t)
  const { app: after } = await build(t, { catalog: { ...catalog, version: 'ffffffffffffffff' } })
  const old = (await before.inject({ url: '/taxonomy' })).headers.etag as string
  const res = await after.inject({ url: '/taxonomy', headers: { 'if-none-match': old } })
  t.equal(res.statusCode, 200)
  t.not(res.headers.etag, old)
})

test('a :code longer than 128 characters is a 414 problem that echoes no more than a bounded instance', async (t) => {
  const { app } = await build(t)
  const atLimit = await app.inject({ url: '/codes/' + 'a'.repeat(128) })
  t.equal(atLimit.statusCode, 404, '128 characters is still a lookup')

  const res = await app.inject({ url: '/codes/' + 'a'.repeat(129) + '?secret=hunter2', headers: { 'x-request-id': 'long-1' } })
  t.equal(res.statusCode, 414)
  t.match(res.headers['content-type'], PROBLEM_JSON)
  t.equal(res.headers['x-request-id'], 'long-1')
  t.match(res.json(), { type: 'urn:errcat:problem:uri-too-long', status: 414, request_id: 'long-1', instance: '/codes/' + 'a'.repeat(129) })
  t.notMatch(res.body, /hunter2/, 'the query string is not echoed')

  const huge = 'b'.repeat(5000)
  const big = await app.inject({ url: '/codes/' + huge })
  t.equal(big.statusCode, 414)
  t.match(big.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const body = big.json<Problem>()
  t.ok(body.instance.length <= 259, `instance bounded (${body.instance.length})`)
  t.ok(body.instance.startsWith('/codes/bbb'))
  t.ok(big.body.length < 1000, `the answer does not echo the path (${big.body.length} bytes)`)
  t.notMatch(body.detail, /bbbb/)
})

test('a malformed percent-encoding is a 400 problem that echoes no more than a bounded instance', async (t) => {
  const { app } = await build(t)
  const res = await app.inject({ url: '/codes/%E0%A4%A', headers: { 'x-request-id': 'pct-1' } })
  t.equal(res.statusCode, 400)
  t.match(res.headers['content-type'], PROBLEM_JSON)
  t.equal(res.headers['x-request-id'], 'pct-1')
  t.match(res.json(), { status: 400, type: 'urn:errcat:problem:bad-request', request_id: 'pct-1', detail: /percent-encoding/ })

  const long = await app.inject({ url: '/codes/%zz' + 'c'.repeat(3000) + '?secret=hunter2' })
  t.equal(long.statusCode, 400)
  t.match(long.headers['x-request-id'], /^[0-9a-f-]{36}$/)
  const body = long.json<Problem>()
  t.ok(body.instance.length <= 259, `instance bounded (${body.instance.length})`)
  t.ok(long.body.length < 1000, `the answer does not echo the path (${long.body.length} bytes)`)
  t.notMatch(long.body, /hunter2/)
})

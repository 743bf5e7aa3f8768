// Sources told apart by the fingerprints the catalog gives them, and message
// hints: catalog data the engine interprets, with no platform's name in the
// engine.
import { readFileSync, readdirSync } from 'node:fs'
import { test } from 'tap'
import { buildCatalog, CatalogError } from '../../src/catalog/load.js'
import type { Catalog } from '../../src/catalog/types.js'
import { classify } from '../../src/engine/classify.js'
import { sourceByFingerprint } from '../../src/engine/fingerprint.js'
import { parseBody } from '../../src/engine/parse.js'
import { bundledCatalog } from '../helper.js'

const TAXONOMY = readFileSync(new URL('../../catalog/taxonomy.yaml', import.meta.url), 'utf8')

function source (id: string, extra: string): { name: string, text: string } {
  return {
    name: `${id}.yaml`,
    text: `id: ${id}
name: ${id}
reference: https://example.invalid/${id}/errors
docs: [https://example.invalid/${id}/errors]
envelope: test bodies
${extra}
entries:
  - code: ${id}_only
    normalized_code: not_found
    http_status: 404
    title: A code only ${id} has
    description: For the tests.
    remediation: { action: Look it up., diagnostic: null }
`
  }
}

function catalogOf (...sources: Array<{ name: string, text: string }>): Catalog {
  return buildCatalog([{ name: 'taxonomy.yaml', text: TAXONOMY }, ...sources], '/test-catalog')
}

const view = (body: unknown, contentType: string | null = 'application/json', headers: Record<string, string> = {}, status: number | null = null) =>
  ({ body: parseBody(body, contentType), headers, status })
const fromBody = (catalog: Catalog, body: string): string | null => sourceByFingerprint(catalog, view(body)).source

test('each kind of condition', async (t) => {
  const catalog = catalogOf(
    source('equals', `fingerprints:
  - evidence: kind is "x"
    all: [{ path: kind, equals: x }]`),
    source('contains', `fingerprints:
  - evidence: tags holds "t1", or note says "t1"
    all: [{ path: tags, is: array }]
    any: [{ path: tags, contains: t1 }]
  - evidence: a note that says t1
    all: [{ path: note, contains: t1 }]`),
    source('nested', `fingerprints:
  - evidence: problem.code in UPPER_SNAKE without problem.kind
    all:
      - { path: problem.code, is: upper_snake }
      - { path: problem.kind, present: false }
      - { path: problem.detail, is_not: number }`),
    source('stream', `fingerprints:
  - evidence: an SSE failure event
    all: [{ sse_event: failure }]`),
    source('pages', `fingerprints:
  - evidence: a server header on a page, a text or nothing
    all:
      - { header: server, equals: pageserver }
      - { body_format_in: [html, text, empty] }`)
  )
  t.equal(fromBody(catalog, '{"kind":"x"}'), 'equals')
  t.equal(fromBody(catalog, '{"kind":"y"}'), null)
  t.equal(fromBody(catalog, '{"tags":["t0","t1"]}'), 'contains')
  t.equal(fromBody(catalog, '{"tags":["t0"]}'), null)
  t.equal(fromBody(catalog, '{"note":"see t1"}'), 'contains', 'contains reads strings too')
  t.equal(fromBody(catalog, '{"problem":{"code":"NO_SUCH"}}'), 'nested')
  t.equal(fromBody(catalog, '{"problem":{"code":"NO_SUCH","kind":null}}'), null, 'null is present')
  t.equal(fromBody(catalog, '{"problem":{"code":"NO_SUCH","detail":3}}'), null, 'is_not')
  t.equal(fromBody(catalog, '{"problem":{"code":"no_such"}}'), null, 'upper_snake is uppercase')
  t.equal(fromBody(catalog, '[{"kind":"x"}]'), 'equals', 'a path through a list reads its first item')
  t.equal(fromBody(catalog, '[{"kind":"y"},{"kind":"x"}]'), null, 'and only its first')
  t.equal(fromBody(catalog, '{"problem":[{"code":"NO_SUCH"}]}'), 'nested', 'inside the body too')
  t.equal(fromBody(catalog, '[]'), null, 'an empty list holds nothing')
  t.equal(fromBody(catalog, '{"problem":"NO_SUCH"}'), null, 'a path through a string is no path')
  t.equal(sourceByFingerprint(catalog, view('event: failure\ndata: {"x":1}\n\n', 'text/event-stream')).source, 'stream')
  t.equal(sourceByFingerprint(catalog, view('event: message\ndata: {"x":1}\n\n', 'text/event-stream')).source, null)
  const server = { server: 'pageserver' }
  t.equal(sourceByFingerprint(catalog, view('<html><title>502 Bad Gateway</title></html>', 'text/html', server)).source, 'pages')
  t.equal(sourceByFingerprint(catalog, view('Bad Gateway', 'text/plain', server)).source, 'pages')
  t.equal(sourceByFingerprint(catalog, view('', null, server)).source, 'pages')
  t.equal(sourceByFingerprint(catalog, view('{}', 'application/json', server)).source, null, 'a JSON body is no page')
  t.equal(sourceByFingerprint(catalog, view('<Error><Code>X</Code></Error>', 'application/xml', server)).source, null, 'nor is XML')
})

test('only own properties are read: an inherited or prototype key is no evidence', async (t) => {
  const catalog = catalogOf(source('proto', `fingerprints:
  - evidence: a constructor key
    all: [{ path: constructor, present: true }]`))
  t.equal(fromBody(catalog, '{}'), null, 'Object.prototype.constructor is not the body\'s')
  t.equal(fromBody(catalog, '{"constructor":1}'), 'proto')
  t.equal(sourceByFingerprint(catalog, view(Object.create({ constructor: 1 }) as unknown)).source, null)
})

test('a mark decides before any shape; two sources at the same strength decide nothing', async (t) => {
  const catalog = catalogOf(
    source('marked', `fingerprints:
  - evidence: a signature field
    strength: mark
    all: [{ path: signature, present: true }]`),
    source('shaped', `fingerprints:
  - evidence: an error object
    all: [{ path: error, is: object }]`),
    source('alike', `fingerprints:
  - evidence: an error object with a message
    all: [{ path: error.message, is: string }]`)
  )
  t.equal(fromBody(catalog, '{"error":{}}'), 'shaped')
  t.equal(fromBody(catalog, '{"error":{},"signature":1}'), 'marked', 'the mark wins over the shape')
  t.equal(fromBody(catalog, '{"error":{"message":"m"}}'), null, 'two shapes fit: no source')
  t.equal(fromBody(catalog, '{"error":{"message":"m"},"signature":1}'), 'marked')
  const result = classify({ status: 404, body: '{"error":{"message":"m"}}' }, catalog)
  t.equal(result.source, null, 'classify names no source when the shapes disagree')
  t.equal(result.normalized_code, 'not_found', 'and still answers by the status')
})

test('message hints: the first whose text the message holds, ignoring case, goes before the action', async (t) => {
  const catalog = catalogOf({
    name: 'hinted.yaml',
    text: `id: hinted
name: Hinted
reference: https://example.invalid/hinted
docs: [https://example.invalid/hinted]
envelope: '{"code","message"}'
entries:
  - code: locked
    normalized_code: failed_precondition
    http_status: 409
    title: Locked
    description: Something is locked.
    remediation: { action: Unlock it., diagnostic: null }
    message_hints:
      - { contains: Volume, action: The volume is locked. }
      - { contains: sandbox, action: The sandbox is locked. }
`
  })
  const action = (message: string): string => classify({ body: JSON.stringify({ code: 'locked', message }) }, catalog).remediation.action
  t.equal(action('VOLUME v1 is in use'), 'The volume is locked. Unlock it.')
  t.equal(action('sandbox and volume both'), 'The volume is locked. Unlock it.', 'list order, not message order')
  t.equal(action('the Sandbox s1'), 'The sandbox is locked. Unlock it.')
  t.equal(action('nothing named'), 'Unlock it.')
})

test('a fingerprint condition that does not say one thing is refused at load, naming where', async (t) => {
  const refused = (extra: string): CatalogError => {
    try {
      catalogOf(source('broken', extra))
    } catch (error) {
      if (error instanceof CatalogError) return error
      throw error
    }
    throw new Error('the catalog loaded')
  }
  t.match(refused(`fingerprints:
  - evidence: two tests
    all: [{ path: a, is: string, present: true }]`), { entry: 'fingerprints[0].all[0]', field: 'path', message: /exactly one of is, is_not, present, equals, contains, starts_with/ })
  t.match(refused(`fingerprints:
  - evidence: no subject
    all: [{ is: string }]`), { entry: 'fingerprints[0].all[0]', field: 'path', message: /names exactly one of path, header, body_contains, sse_event, status_in, body_format_in/ })
  t.match(refused(`fingerprints:
  - evidence: an event with a path
    all: [{ path: a, present: true }]
    any: [{ sse_event: error, path: a }]`), { entry: 'fingerprints[0].any[0]', field: 'path', message: /names exactly one of/ })
  t.match(refused(`fingerprints:
  - evidence: a body text with a test
    all: [{ body_contains: abcd, present: true }]`), { entry: 'fingerprints[0].all[0]', field: 'body_contains', message: /takes no other test/ })
  t.match(refused(`fingerprints:
  - evidence: a header with two tests
    all: [{ header: server, equals: x, contains: y }]`), { entry: 'fingerprints[0].all[0]', field: 'header', message: /exactly one of/ })
  t.match(refused(`fingerprints:
  - evidence: a format with a test
    all: [{ body_format_in: [html], equals: x }]`), { entry: 'fingerprints[0].all[0]', field: 'body_format_in', message: /takes no other test/ })
  t.match(refused(`fingerprints:
  - evidence: an unknown format
    all: [{ body_format_in: [pdf] }]`), { entry: 'fingerprints[0]', field: 'all.0.body_format_in.0' })
  t.match(refused(`fingerprints:
  - evidence: a bad path
    all: [{ path: "a..b", present: true }]`), { entry: 'fingerprints[0]', field: 'all.0.path' })
})

test('the engine names no source: every platform it knows comes from the catalog', async (t) => {
  const catalog = await bundledCatalog()
  const engine = new URL('../../src/engine/', import.meta.url)
  // Its id, and the first word of its name (the system's own name: "Traefik" of "Traefik Proxy").
  const names = catalog.sourceList.flatMap((index) => [index.info.id, index.info.name.split(/\W+/)[0] ?? index.info.id])
  for (const file of readdirSync(engine)) {
    const text = readFileSync(new URL(file, engine), 'utf8')
    for (const name of names) t.notMatch(text, new RegExp(`\\b${name}\\b`, 'i'), `src/engine/${file} does not name ${name}`)
  }
})

// Layouts that many systems outside the catalog use, written for this test:
// none of them may be named as a catalog platform's unless a code or message
// only that platform holds says so.
const UNCLAIMED: Array<[string, number, unknown]> = [
  ['a bare {"error": text}', 404, { error: 'Not Found' }],
  ['a bare {"error": text} on 401', 401, { error: 'Unauthorized' }],
  ['Spring Boot\'s error attributes', 500, { timestamp: '2024-01-01T00:00:00.000+00:00', status: 500, error: 'Internal Server Error', path: '/x' }],
  ['a model server\'s {"error", "estimated_time"}', 503, { error: 'Model is currently loading', estimated_time: 20 }],
  ['a local model server\'s {"error": text}', 404, { error: "model 'llama9' not found" }],
  ['an OpenAI-compatible server without param', 429, { error: { message: 'Rate limit reached for model', type: 'tokens', code: 'rate_limit_exceeded' } }],
  ['an OpenAI-compatible server with object "error"', 400, { object: 'error', message: 'Invalid model', type: 'invalid_request_error', param: null, code: null }],
  ['a Kubernetes Status', 404, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'pods "x" not found', reason: 'NotFound', code: 404 }],
  ['an RFC 9457 problem', 403, { type: 'about:blank', title: 'Forbidden', status: 403, detail: 'nope' }],
  ['a flat {"error","code"} with a code no source holds', 404, { error: 'Not found', code: 'user_not_found' }]
]

test('layouts systems outside the catalog share name no source, and still get their normalized code', async (t) => {
  const catalog = await bundledCatalog()
  for (const [name, status, body] of UNCLAIMED) {
    const result = classify({ status, body: JSON.stringify(body), contentType: 'application/json' }, catalog)
    t.equal(result.source, null, `${name}: no source`)
    t.not(result.normalized_code, 'unknown', `${name}: ${result.normalized_code}`)
  }
  const onecli = classify({ status: 404, body: JSON.stringify({ error: 'Agent not found' }), contentType: 'application/json' }, catalog)
  t.equal(onecli.source, 'onecli', 'the same layout with a message only OneCLI writes is OneCLI\'s')
  t.match(onecli.evidence, [/a layout many systems use/, /message of onecli's agent_not_found/])
})

test('another source\'s message template never overrides the source a fingerprint detected; its exact message or code may', async (t) => {
  const catalog = await bundledCatalog()
  // Google's legacy error layout, with words that fit OneCLI's "{field} is required".
  const google = classify({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { errors: [{ domain: 'global', reason: 'required', message: 'country is required' }], code: 400, message: 'country is required' } }) }, catalog)
  t.equal(google.source, 'google')
  t.equal(google.normalized_code, 'invalid_request')
  // With no source detected, the template still names OneCLI.
  const bare = classify({ status: 400, contentType: 'text/plain', body: 'apiKey is required' }, catalog)
  t.match(bare, { source: 'onecli', code: 'app_credential_field_required', matched_by: 'message_template' })
})

test('a source\'s body code paths are read once it is known, for identifiers only', async (t) => {
  const catalog = catalogOf(source('blocks', `body_code_paths: [feedback.reason, outcomes.reason]
fingerprints:
  - evidence: a feedback object
    strength: mark
    all: [{ path: feedback, is: object }]`), source('other', ''))
  const classified = (body: unknown, hint?: string) =>
    classify({ status: 200, body: JSON.stringify(body), contentType: 'application/json', ...(hint === undefined ? {} : { source: hint }) }, catalog)
  t.match(classified({ feedback: { reason: 'blocks_only' } }), { source: 'blocks', code: 'blocks_only', matched_by: 'code' })
  t.match(classified({ feedback: {}, outcomes: [{ reason: 'blocks_only' }, { reason: 'x' }] }), { source: 'blocks', code: 'blocks_only' }, 'through a list, its first item')
  t.match(classified({ feedback: { reason: 'not a code at all' } }), { source: 'blocks', code: null }, 'a sentence is no code')
  t.match(classified({ feedback: { reason: 7 } }), { source: 'blocks', code: null }, 'nor a number')
  t.match(classified({ outcomes: [{ reason: 'blocks_only' }] }, 'other'), { source: 'other', code: null }, 'another source\'s paths are not read')
})

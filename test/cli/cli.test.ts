// The errcat CLI (issue 10, point 2): every command through run(), in-process,
// against the HTTP answers of the same catalog; and the bin shim, spawned.
import { spawn } from 'node:child_process'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { t as tap, test } from 'tap'
import { parse as parseYaml } from 'yaml'
import { run, USAGE, type CliIo } from '../../src/cli/run.js'
import { NORMALIZED_CODES } from '../../src/catalog/schema.js'
import { BUNDLED_CATALOG_DIR } from '../../src/catalog/paths.js'
import { build, bundledCatalog, CATALOG_DIR, SOURCE_IDS, startService } from '../helper.js'

// Four processes are spawned through tap's TypeScript loader, which compiles
// on start-up (several seconds each on a small machine): more than tap's default 30 s.
tap.setTimeout(180_000)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs one command line in-process with captured streams and an empty environment unless given. */
async function cli (argv: string[], stdin: CliIo['stdin'] = '', env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  const outcome = { code: -1, stdout: '', stderr: '' }
  outcome.code = await run(argv, {
    stdin,
    env,
    stdout: { write: (text: string) => { outcome.stdout += text } },
    stderr: { write: (text: string) => { outcome.stderr += text } }
  })
  return outcome
}

const HINT = 'Run "errcat help" for usage.\n'

/** The service's text answer less its Request id line, which a local run cannot have. */
function withoutRequestId (text: string): string {
  return text.split('\n').filter((line) => !line.startsWith('  Request id')).join('\n')
}

const scaigridRateLimited = JSON.stringify({
  status: 'error',
  error: { code: 'BACKEND_RATE_LIMITED', message: 'Backend rate limit exceeded — please retry later' },
  meta: { request_id: 'req_abc123' }
})

test('lookup CODE prints the text and the JSON GET /codes/:code answers, exit 0', async (t) => {
  const { app } = await build(t)

  const text = await cli(['lookup', 'RATE_LIMITED'])
  const httpText = await app.inject({ url: '/codes/RATE_LIMITED?format=text' })
  t.equal(text.code, 0)
  t.equal(text.stderr, '')
  t.equal(text.stdout, httpText.body)
  t.match(text.stdout, /^2 matches for "RATE_LIMITED"\n/)

  const json = await cli(['lookup', 'RATE_LIMITED', '--json'])
  const httpJson = await app.inject({ url: '/codes/RATE_LIMITED' })
  t.equal(json.code, 0)
  t.equal(json.stdout, httpJson.body + '\n', 'the same bytes as the HTTP body, one line')
  t.same(JSON.parse(json.stdout), httpJson.json())
  t.same((JSON.parse(json.stdout) as { matches: Array<{ source: string }> }).matches.map((entry) => entry.source), ['scaigrid', 'onecli'])

  const scoped = await cli(['lookup', 'rate_limited', '--source', 'scaigrid', '--json'])
  const httpScoped = await app.inject({ url: '/codes/rate_limited?source=scaigrid' })
  t.equal(scoped.code, 0)
  t.equal(scoped.stdout, httpScoped.body + '\n', '--source and case-insensitive lookup as the route')
  t.same((JSON.parse(scoped.stdout) as { matches: Array<{ code: string }> }).matches.map((entry) => entry.code), ['RATE_LIMITED'])

  const pattern = await cli(['lookup', 'SCAIMATRIX_INDEX_NOT_FOUND'])
  t.equal(pattern.code, 0)
  t.equal(pattern.stdout, (await app.inject({ url: '/codes/SCAIMATRIX_INDEX_NOT_FOUND?format=text' })).body)
  t.match(pattern.stdout, /\[pattern\]/)
})

test('lookup of an unknown code exits 1 and prints the suggestions', async (t) => {
  const { app } = await build(t)

  const text = await cli(['lookup', 'SANDBOX_NOT_FOUNDX'])
  t.equal(text.code, 1)
  t.equal(text.stderr, '')
  t.equal(text.stdout, 'Unknown code: No source knows the code "SANDBOX_NOT_FOUNDX".\n  Did you mean sandbox_not_found?\n')
  const httpText = await app.inject({ url: '/codes/SANDBOX_NOT_FOUNDX?format=text' })
  t.equal(httpText.statusCode, 404)
  t.equal(text.stdout, withoutRequestId(httpText.body), 'the service\'s text less the request id')

  const json = await cli(['lookup', 'SANDBOX_NOT_FOUNDX', '--json'])
  t.equal(json.code, 1)
  const httpJson = await app.inject({ url: '/codes/SANDBOX_NOT_FOUNDX' })
  const { instance, request_id: requestId, ...problem } = httpJson.json() as Record<string, unknown>
  t.equal(instance, '/codes/SANDBOX_NOT_FOUNDX')
  t.type(requestId, 'string')
  t.same(JSON.parse(json.stdout), problem, 'the 404 problem without instance and request_id')
  t.same(JSON.parse(json.stdout), {
    type: 'urn:errcat:problem:unknown-code',
    title: 'Unknown code',
    status: 404,
    detail: 'No source knows the code "SANDBOX_NOT_FOUNDX".',
    suggestions: ['sandbox_not_found']
  })

  const scoped = await cli(['lookup', 'sandbox_not_found', '--source', 'scaigrid', '--json'])
  t.equal(scoped.code, 1)
  const httpScoped = await app.inject({ url: '/codes/sandbox_not_found?source=scaigrid' })
  const { instance: _i, request_id: _r, ...scopedProblem } = httpScoped.json() as Record<string, unknown>
  t.same(JSON.parse(scoped.stdout), scopedProblem)
  t.match(JSON.parse(scoped.stdout), { detail: 'No source "scaigrid" knows the code "sandbox_not_found".' })

  const none = await cli(['lookup', 'zzqqxx'])
  t.equal(none.code, 1)
  t.equal(none.stdout, 'Unknown code: No source knows the code "zzqqxx".\n', 'no suggestion line when there are none')
})

test('lookup usage errors exit 2', async (t) => {
  const cases: Array<[string[], string]> = [
    [['lookup'], 'errcat: missing CODE\n'],
    [['lookup', 'A', 'B'], 'errcat: unexpected argument "B"\n'],
    [['lookup', ''], 'errcat: CODE must not be empty\n'],
    [['lookup', 'X'.repeat(129)], 'errcat: CODE is longer than 128 characters\n'],
    [['lookup', 'RATE_LIMITED', '--source', 'nope'], `errcat: Unknown source "nope". Valid sources: ${SOURCE_IDS.join(', ')}.\n`],
    [['lookup', 'RATE_LIMITED', '--source', ''], `errcat: Unknown source "". Valid sources: ${SOURCE_IDS.join(', ')}.\n`]
  ]
  for (const [argv, message] of cases) {
    const outcome = await cli(argv)
    t.equal(outcome.code, 2, argv.join(' ').slice(0, 40))
    t.equal(outcome.stdout, '')
    t.equal(outcome.stderr, message + HINT)
  }
  const missingValue = await cli(['lookup', 'RATE_LIMITED', '--source'])
  t.equal(missingValue.code, 2)
  t.match(missingValue.stderr, /^errcat: Option '--source <value>' argument missing/)
  const longest = await cli(['lookup', 'X'.repeat(128)])
  t.equal(longest.code, 1, '128 characters is still a lookup')
})

test('classify reads a FILE and prints what POST /classify answers; --header Retry-After: 30 gives a 30000 ms retry_after', async (t) => {
  const { app } = await build(t)
  const dir = t.testdir({ 'body.json': scaigridRateLimited })
  const file = join(dir, 'body.json')

  const json = await cli(['classify', file, '--status', '429', '--header', 'Retry-After: 30', '--content-type', 'application/json', '--json'])
  t.equal(json.code, 0)
  t.equal(json.stderr, '')
  const http = await app.inject({
    method: 'POST',
    url: '/classify?status=429',
    headers: { 'content-type': 'application/json', 'x-upstream-retry-after': '30' },
    payload: scaigridRateLimited
  })
  t.equal(json.stdout, http.body + '\n', 'the same bytes as the HTTP body')
  const result = JSON.parse(json.stdout) as Record<string, unknown>
  t.match(result, {
    normalized_code: 'rate_limited',
    source: 'scaigrid',
    code: 'BACKEND_RATE_LIMITED',
    matched_by: 'code',
    http_status: 429,
    request_id: 'req_abc123',
    retry: { retryable: true, strategy: 'retry_after', delay_ms: 30000 }
  })

  const text = await cli(['classify', file, '--status', '429', '--header', 'Retry-After: 30'])
  const httpText = await app.inject({ method: 'POST', url: '/classify?status=429&format=text', headers: { 'x-upstream-retry-after': '30' }, payload: scaigridRateLimited })
  t.equal(text.code, 0)
  t.equal(text.stdout, httpText.body)
  t.match(text.stdout, /^rate_limited \(scaigrid \/ BACKEND_RATE_LIMITED, matched by code\)\n/)
  t.match(text.stdout, /Retry +yes, in 30 s, up to 3 attempts in all\n +Why +rate_limited is retryable by the catalog's policy\. The wait is\n +what the Retry-After header asks for\./)
})

test('classify reads stdin: a string, a stream, "-" and an empty body', async (t) => {
  const { app } = await build(t)
  const http = await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'x-upstream-retry-after': '30' }, payload: scaigridRateLimited })

  const fromString = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], scaigridRateLimited)
  t.equal(fromString.code, 0)
  t.equal(fromString.stdout, http.body + '\n')

  // A multi-byte character split across chunks still decodes.
  const bytes = Buffer.from(scaigridRateLimited)
  const cut = bytes.indexOf(Buffer.from('—')) + 1
  const fromStream = await cli(['classify', '-', '--status', '429', '--header', 'Retry-After: 30', '--json'], Readable.from([bytes.subarray(0, cut), bytes.subarray(cut)]))
  t.equal(fromStream.code, 0)
  t.equal(fromStream.stdout, http.body + '\n')
  t.match(JSON.parse(fromStream.stdout), { message: 'Backend rate limit exceeded — please retry later' })

  const stringChunks = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], Readable.from([scaigridRateLimited.slice(0, 10), scaigridRateLimited.slice(10)]))
  t.equal(stringChunks.stdout, http.body + '\n')

  const terminal = Object.assign(Readable.from([scaigridRateLimited]), { isTTY: true })
  const fromTerminal = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], terminal)
  t.equal(fromTerminal.code, 0)
  t.equal(fromTerminal.stdout, http.body + '\n')
  t.equal(fromTerminal.stderr, 'errcat: reading the upstream body from standard input; end it with Ctrl-D\n')

  const empty = await cli(['classify', '--status', '503', '--json'], Readable.from([]))
  const httpEmpty = await app.inject({ method: 'POST', url: '/classify?status=503' })
  t.equal(empty.code, 0)
  t.equal(empty.stdout, httpEmpty.body + '\n')
  t.match(JSON.parse(empty.stdout), { normalized_code: 'unavailable', matched_by: 'status', http_status: 503, retry: { retryable: true } })
})

test('classify --header takes names in any case, with or without x-upstream-, and Content-Type', async (t) => {
  const base = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], scaigridRateLimited)
  for (const header of ['retry-after:30', 'RETRY-AFTER:   30  ', 'X-Upstream-Retry-After: 30', 'x-upstream-retry-after:30']) {
    const outcome = await cli(['classify', '--status', '429', '--header', header, '--json'], scaigridRateLimited)
    t.equal(outcome.code, 0)
    t.equal(outcome.stdout, base.stdout, header)
  }

  const many = await cli(['classify', '--status', '429', '--json',
    '--header', 'Retry-After-Ms: 1500', '--header', 'X-Request-Id: gw-42', '--header', 'Server: nginx'], scaigridRateLimited)
  t.match(JSON.parse(many.stdout), { request_id: 'gw-42', retry: { strategy: 'retry_after', delay_ms: 1500 } })

  const policy = JSON.stringify({ error: 'blocked_by_policy', message: 'Request blocked by policy rule' })
  const noRetry = await cli(['classify', '--status', '403', '--header', 'x-should-retry: false', '--json'], policy)
  t.match(JSON.parse(noRetry.stdout), { source: 'onecli', code: 'blocked_by_policy', retry: { retryable: false } })

  const html = '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>'
  const viaHeader = await cli(['classify', '--header', 'Content-Type: text/html', '--json'], html)
  const viaOption = await cli(['classify', '--content-type', 'text/html', '--json'], html)
  const both = await cli(['classify', '--content-type', 'text/html', '--header', 'Content-Type: application/json', '--json'], html)
  t.equal(viaHeader.stdout, viaOption.stdout)
  t.equal(both.stdout, viaOption.stdout, '--content-type wins over the header')
  t.match(JSON.parse(viaOption.stdout), { normalized_code: 'upstream_error', http_status: 502 })

  const long = await cli(['classify', '--header', `X-Request-Id: ${'r'.repeat(300)}`, '--json'], '')
  t.equal((JSON.parse(long.stdout) as { request_id: string }).request_id, 'r'.repeat(256), 'values cut to 256 characters as the route does')

  for (const header of ['Retry-After 30', ': 30', '']) {
    const outcome = await cli(['classify', '--header', header], '')
    t.equal(outcome.code, 2, JSON.stringify(header))
    t.equal(outcome.stderr, `errcat: --header must be 'NAME: VALUE' (got ${JSON.stringify(header)})\n` + HINT)
  }
})

test('classify --status must be an integer from 100 to 599, and --source a known source', async (t) => {
  for (const status of ['abc', '999', '99', '600', '42.5', '-1', '', '1e2', ' 429']) {
    const outcome = await cli(['classify', `--status=${status}`], '{}')
    t.equal(outcome.code, 2, JSON.stringify(status))
    t.equal(outcome.stdout, '')
    t.equal(outcome.stderr, `errcat: --status must be an integer from 100 to 599 (got ${JSON.stringify(status)})\n` + HINT)
  }
  for (const status of ['100', '599']) {
    const outcome = await cli(['classify', '--status', status, '--json'], '')
    t.equal(outcome.code, 0, status)
    t.equal((JSON.parse(outcome.stdout) as { http_status: number }).http_status, Number(status))
  }

  const unknown = await cli(['classify', '--source', 'nope'], '{}')
  t.equal(unknown.code, 2)
  t.equal(unknown.stderr, `errcat: Unknown source "nope". Valid sources: ${SOURCE_IDS.join(', ')}.\n` + HINT)
  const hinted = await cli(['classify', '--source', 'onecli', '--json'], '{"error":"Agent not found"}')
  t.match(JSON.parse(hinted.stdout), { source: 'onecli', normalized_code: 'not_found' })
})

test('classify: an unreadable FILE, a body over 1 MiB and a bad MAX_RETRY_AFTER_S are usage errors', async (t) => {
  const dir = t.testdir({ 'big.txt': 'x'.repeat(1024 * 1024 + 1), 'limit.txt': 'x'.repeat(1024 * 1024), sub: {} })
  const missing = await cli(['classify', join(dir, 'missing.json')])
  t.equal(missing.code, 2)
  t.equal(missing.stderr, `errcat: cannot read ${join(dir, 'missing.json')} (ENOENT)\n` + HINT)
  const directory = await cli(['classify', join(dir, 'sub')])
  t.equal(directory.code, 2)
  t.equal(directory.stderr, `errcat: cannot read ${join(dir, 'sub')} (EISDIR)\n` + HINT)

  const tooLarge = 'errcat: the body is larger than 1 MiB, the most errcat classifies\n' + HINT
  const bigFile = await cli(['classify', join(dir, 'big.txt')])
  t.equal(bigFile.code, 2)
  t.equal(bigFile.stderr, tooLarge)
  const atLimit = await cli(['classify', join(dir, 'limit.txt'), '--json'])
  t.equal(atLimit.code, 0, 'exactly 1 MiB is classified')
  const bigString = await cli(['classify'], 'é'.repeat(512 * 1024 + 1))
  t.equal(bigString.code, 2, 'the limit counts bytes, not characters')
  t.equal(bigString.stderr, tooLarge)
  const bigStream = await cli(['classify'], Readable.from([Buffer.alloc(600 * 1024, 'x'), Buffer.alloc(600 * 1024, 'x')]))
  t.equal(bigStream.code, 2)
  t.equal(bigStream.stderr, tooLarge)

  const extra = await cli(['classify', 'a.json', 'b.json'])
  t.equal(extra.code, 2)
  t.equal(extra.stderr, 'errcat: unexpected argument "b.json"\n' + HINT)

  const badEnv = await cli(['classify'], '', { MAX_RETRY_AFTER_S: 'soon' })
  t.equal(badEnv.code, 2)
  t.equal(badEnv.stderr, 'errcat: Invalid MAX_RETRY_AFTER_S="soon": must be the longest upstream-requested wait, in seconds, still treated as retryable (0 to 86400)\n' + HINT)
})

test('classify honours MAX_RETRY_AFTER_S as the service does', async (t) => {
  const { app } = await build(t, { config: { MAX_RETRY_AFTER_S: 10 } })
  const outcome = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], scaigridRateLimited, { MAX_RETRY_AFTER_S: '10' })
  const http = await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'x-upstream-retry-after': '30' }, payload: scaigridRateLimited })
  t.equal(outcome.code, 0)
  t.equal(outcome.stdout, http.body + '\n')
  t.match(JSON.parse(outcome.stdout), { retry: { retryable: false, delay_ms: 30000 } })
})

test('search QUERY prints what GET /codes answers; nothing found exits 1', async (t) => {
  const { app } = await build(t)
  const catalog = await bundledCatalog()

  const text = await cli(['search', 'rate', 'limit', '--limit', '3'])
  const httpText = await app.inject({ url: '/codes?q=rate%20limit&limit=3&format=text' })
  t.equal(text.code, 0)
  t.equal(text.stdout, httpText.body)
  t.match(text.stdout, /^\d+ entries, showing 1-3\n/)

  const json = await cli(['search', 'rate limit', '--limit', '3', '--offset', '2', '--json'])
  const httpJson = await app.inject({ url: '/codes?q=rate%20limit&limit=3&offset=2' })
  t.equal(json.code, 0)
  t.equal(json.stdout, httpJson.body + '\n')
  t.equal((JSON.parse(json.stdout) as { items: unknown[] }).items.length, 3)

  const filtered = await cli(['search', '--source', 'onecli', '--normalized-code', 'rate_limited', '--json'])
  const httpFiltered = await app.inject({ url: '/codes?source=onecli&normalized_code=rate_limited' })
  t.equal(filtered.stdout, httpFiltered.body + '\n')
  const items = (JSON.parse(filtered.stdout) as { items: Array<{ source: string, normalized_code: string }> }).items
  t.ok(items.length > 0 && items.every((item) => item.source === 'onecli' && item.normalized_code === 'rate_limited'), 'only onecli rate_limited entries')

  const all = await cli(['search', '--limit', '100', '--json'])
  t.equal((JSON.parse(all.stdout) as { total: number }).total, catalog.allEntries.length, 'no QUERY lists every entry')

  const past = await cli(['search', 'rate', '--offset', '1000000'])
  t.equal(past.code, 0, 'entries exist past which nothing is shown')
  t.equal(past.stdout, (await app.inject({ url: '/codes?q=rate&offset=1000000&format=text' })).body)

  const nothing = await cli(['search', 'zzqqxx'])
  t.equal(nothing.code, 1)
  t.equal(nothing.stdout, '0 entries\n')
  const nothingJson = await cli(['search', 'zzqqxx', '--json'])
  t.equal(nothingJson.code, 1)
  t.equal(nothingJson.stdout, '{"items":[],"total":0}\n')
})

test('search usage errors exit 2', async (t) => {
  const cases: Array<[string[], string]> = [
    [['search', 'x', '--limit', '0'], 'errcat: --limit must be an integer from 1 to 100 (got "0")\n'],
    [['search', 'x', '--limit', '101'], 'errcat: --limit must be an integer from 1 to 100 (got "101")\n'],
    [['search', 'x', '--limit', 'ten'], 'errcat: --limit must be an integer from 1 to 100 (got "ten")\n'],
    [['search', 'x', '--offset', '1000001'], 'errcat: --offset must be an integer from 0 to 1000000 (got "1000001")\n'],
    [['search', 'x', '--normalized-code', 'slow'], `errcat: --normalized-code must be one of ${NORMALIZED_CODES.join(', ')} (got "slow")\n`],
    [['search', 'q'.repeat(201)], 'errcat: QUERY is longer than 200 characters\n'],
    [['search', 'x', '--source', 'nope'], `errcat: Unknown source "nope". Valid sources: ${SOURCE_IDS.join(', ')}.\n`]
  ]
  for (const [argv, message] of cases) {
    const outcome = await cli(argv)
    t.equal(outcome.code, 2, argv.slice(1).join(' ').slice(0, 40))
    t.equal(outcome.stdout, '')
    t.equal(outcome.stderr, message + HINT)
  }
  t.equal((await cli(['search', 'q'.repeat(200)])).code, 1, '200 characters is still a search')
})

/** A copy of the bundled catalog in which one scaigrid entry has a normalized code the taxonomy lacks. */
async function brokenCatalog (dir: string): Promise<{ file: string, entry: string }> {
  await cp(CATALOG_DIR, dir, { recursive: true })
  const file = join(dir, 'scaigrid.yaml')
  const text = (await readFile(file, 'utf8')).replace('normalized_code: permission_denied', 'normalized_code: forbidden')
  await writeFile(file, text)
  const entries = (parseYaml(text) as { entries: Array<{ code: string, normalized_code: string }> }).entries
  const index = entries.findIndex((entry) => entry.normalized_code === 'forbidden')
  return { file, entry: `entries[${index}] (${JSON.stringify(entries[index]?.code)})` }
}

test('check-catalog validates a catalog as the service does at boot: exit 0, or 3 naming the file, entry and field', async (t) => {
  const catalog = await bundledCatalog()
  const summary = `catalog ${catalog.dir} is valid: version ${catalog.version}; entries: ` +
    catalog.sourceIds.map((id) => `${id} ${catalog.sources.get(id)?.entries.length}`).join(', ') + '\n'

  const bundled = await cli(['check-catalog'])
  t.equal(bundled.code, 0)
  t.equal(bundled.stderr, '')
  t.equal(bundled.stdout, summary.replace(catalog.dir, BUNDLED_CATALOG_DIR), 'the bundled catalog by default')
  t.match(bundled.stdout, new RegExp(`entries: ${SOURCE_IDS.map((id) => `${id} \\d+`).join(', ')}\n$`))
  const explicit = await cli(['check-catalog', CATALOG_DIR])
  t.equal(explicit.code, 0)
  t.equal(explicit.stdout, summary)

  const root = t.testdir({ empty: {} })
  const broken = await brokenCatalog(join(root, 'broken'))
  const invalid = await cli(['check-catalog', join(root, 'broken')])
  t.equal(invalid.code, 3)
  t.equal(invalid.stdout, '')
  t.match(invalid.stderr, `errcat: invalid catalog: ${broken.file}: ${broken.entry}: field "normalized_code": must be one of`)
  t.match(invalid.stderr, /\(got "forbidden"\)\n$/)
  t.match(broken.entry, /^entries\[\d+\] \("[A-Z_]+"\)$/)

  const fromEnv = await cli(['check-catalog'], '', { CATALOG_DIR: join(root, 'broken') })
  t.equal(fromEnv.code, 3, '$CATALOG_DIR is the default when set')
  t.equal(fromEnv.stderr, invalid.stderr)

  const missing = await cli(['check-catalog', join(root, 'missing')])
  t.equal(missing.code, 3)
  t.equal(missing.stderr, `errcat: invalid catalog: ${join(root, 'missing')}: cannot read the catalog directory (ENOENT)\n`)
  const empty = await cli(['check-catalog', join(root, 'empty')])
  t.equal(empty.code, 3)
  t.equal(empty.stderr, `errcat: invalid catalog: ${join(root, 'empty', 'taxonomy.yaml')}: the taxonomy file is missing\n`)

  const extra = await cli(['check-catalog', 'a', 'b'])
  t.equal(extra.code, 2)
  t.equal(extra.stderr, 'errcat: unexpected argument "b"\n' + HINT)
})

test('--catalog DIR (and $CATALOG_DIR) chooses the catalog of lookup, classify and search', async (t) => {
  const root = t.testdir({})
  await brokenCatalog(join(root, 'broken'))
  await cp(CATALOG_DIR, join(root, 'copy'), { recursive: true })
  for (const argv of [['lookup', 'RATE_LIMITED'], ['classify'], ['search', 'rate']]) {
    const invalid = await cli([...argv, '--catalog', join(root, 'broken')])
    t.equal(invalid.code, 3, argv.join(' '))
    t.match(invalid.stderr, /^errcat: invalid catalog: .*scaigrid\.yaml: entries\[\d+\] \("[A-Z_]+"\): field "normalized_code"/)
    const viaEnv = await cli(argv, '', { CATALOG_DIR: join(root, 'broken') })
    t.equal(viaEnv.code, 3, `${argv[0]} with $CATALOG_DIR`)
    const copy = await cli([...argv, '--catalog', join(root, 'copy'), '--json'], '', { CATALOG_DIR: join(root, 'broken') })
    t.equal(copy.code, 0, `${argv[0]}: --catalog wins over $CATALOG_DIR`)
    t.equal(copy.stdout, (await cli([...argv, '--json'])).stdout)
  }
  const missing = await cli(['lookup', 'RATE_LIMITED', '--catalog', join(root, 'missing')])
  t.equal(missing.code, 3)
  t.equal(missing.stderr, `errcat: invalid catalog: ${join(root, 'missing')}: cannot read the catalog directory (ENOENT)\n`)
})

test('unknown commands and options are usage errors: exit 2', async (t) => {
  const cases: Array<[string[], string | RegExp]> = [
    [[], 'errcat: a command is missing: lookup, classify, search, check-catalog or serve\n' + HINT],
    [['bogus'], 'errcat: unknown command "bogus"\n' + HINT],
    [['toString'], 'errcat: unknown command "toString"\n' + HINT],
    [['--json'], 'errcat: unknown option "--json" before the command\n' + HINT],
    [['help', 'bogus'], 'errcat: unknown command "bogus"\n' + HINT],
    [['lookup', 'RATE_LIMITED', '--bogus'], /^errcat: Unknown option '--bogus'/],
    [['classify', '-x'], /^errcat: Unknown option '-x'/],
    [['search', '--status', '429'], /^errcat: Unknown option '--status'/],
    [['check-catalog', '--json'], /^errcat: Unknown option '--json'/],
    [['serve', '--port', '1'], /^errcat: Unknown option '--port'/],
    [['serve', 'now'], 'errcat: unexpected argument "now"\n' + HINT],
    [['lookup', '--json=yes', 'X'], /^errcat: Option '--json' does not take an argument/]
  ]
  for (const [argv, message] of cases) {
    const outcome = await cli(argv)
    t.equal(outcome.code, 2, argv.join(' '))
    t.equal(outcome.stdout, '')
    if (typeof message === 'string') t.equal(outcome.stderr, message)
    else {
      t.match(outcome.stderr, message)
      t.ok(outcome.stderr.endsWith(HINT), 'ends with the help hint')
    }
  }
})

test('help prints the usage with the exit codes: exit 0', async (t) => {
  for (const argv of [['help'], ['--help'], ['-h'], ['help', 'classify'], ['lookup', '--help'], ['classify', '-h'], ['search', '--help'], ['check-catalog', '-h'], ['serve', '--help'], ['lookup', '-h', 'A', 'B']]) {
    const outcome = await cli(argv)
    t.equal(outcome.code, 0, argv.join(' '))
    t.equal(outcome.stdout, USAGE)
    t.equal(outcome.stderr, '')
  }
  for (const command of ['errcat lookup CODE', 'errcat classify [FILE|-]', 'errcat search [QUERY...]', 'errcat check-catalog [DIR]', 'errcat serve']) {
    t.ok(USAGE.includes(command), command)
  }
  t.match(USAGE, /Exit codes:\n {2}0 {2}found or classified.*\n {2}1 {2}not found.*\n(?:.*\n)* {2}2 {2}usage error.*\n(?:.*\n)* {2}3 {2}invalid catalog/)
  t.match(USAGE, /--status abc or 999/)
  t.ok(USAGE.split('\n').every((line) => line.length <= 80), 'at most 80 columns')

  const version = await cli(['--version'])
  t.equal(version.code, 0)
  t.match(version.stdout, /^errcat \d+\.\d+\.\d+\n$/)
})

test('serve in-process stops before listening on a bad catalog (exit 3) or a bad config (exit 2)', async (t) => {
  const badCatalog = await cli(['serve', '--catalog', join(t.testdir({}), 'missing')], '', { PORT: '0', LOG_LEVEL: 'silent' })
  t.equal(badCatalog.code, 3)
  t.match(badCatalog.stderr, /^errcat: invalid catalog: .*missing: cannot read the catalog directory \(ENOENT\)\n$/)
  const badConfig = await cli(['serve'], '', { PORT: 'eighty' })
  t.equal(badConfig.code, 2)
  t.equal(badConfig.stderr, 'errcat: Invalid PORT="eighty": must be a TCP port from 0 to 65535\n' + HINT)
})

// The bin shim, spawned through tap's TypeScript loader (process.execArgv):
// dist/ may be stale, and src/cli.ts is what dist/cli.js is built from.
const shim = [...process.execArgv, 'src/cli.ts']
const childEnv = { ...process.env, CATALOG_DIR: '' }

test('the bin shim classifies stdin and sets the exit code', async (t) => {
  const [classified, notFound, usage, server] = await Promise.all([
    runNode([...shim, 'classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], scaigridRateLimited),
    runNode([...shim, 'lookup', 'zzqqxx']),
    runNode([...shim, 'classify', '--status', 'abc']),
    // src/main.ts runs the same start-up as errcat serve, and still exits 1 on a bad catalog.
    runNode([...process.execArgv, 'src/main.ts'], '', { PORT: '0', CATALOG_DIR: join(t.testdir({}), 'missing') })
  ])
  const inProcess = await cli(['classify', '--status', '429', '--header', 'Retry-After: 30', '--json'], scaigridRateLimited)
  t.equal(classified.code, 0)
  t.equal(classified.stdout, inProcess.stdout)
  t.match(JSON.parse(classified.stdout), { code: 'BACKEND_RATE_LIMITED', retry: { strategy: 'retry_after', delay_ms: 30000 } })
  t.equal(notFound.code, 1)
  t.equal(notFound.stdout, 'Unknown code: No source knows the code "zzqqxx".\n')
  t.equal(usage.code, 2)
  t.match(usage.stderr, 'errcat: --status must be an integer from 100 to 599 (got "abc")')
  t.equal(server.code, 1)
  t.match(server.stderr, /errcat: .*missing: cannot read the catalog directory \(ENOENT\)\n/)
})

function runNode (args: string[], input = '', env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...childEnv, ...env }, stdio: ['pipe', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => { stdout += String(chunk) })
    child.stderr.on('data', (chunk: Buffer) => { stderr += String(chunk) })
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(input)
  })
}

test('errcat serve starts the service on the bundled catalog and SIGTERM ends it with exit code 0', async (t) => {
  const { address, child, exited } = await startService(t, [...shim, 'serve'], { env: { ...childEnv, PORT: '0', HOST: '127.0.0.1' } })
  const res = await fetch(`${address}/codes/RATE_LIMITED`)
  t.equal(res.status, 200)
  t.equal(await res.text(), (await cli(['lookup', 'RATE_LIMITED', '--json'])).stdout.trimEnd())
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

test('classify - takes a whole curl -si output: its status and headers count, and the options still win', async (t) => {
  const saved = ['HTTP/2 429 ', 'content-type: application/json', 'retry-after: 12', '', scaigridRateLimited].join('\r\n')
  const pasted = await cli(['classify', '-', '--json'], saved)
  t.equal(pasted.code, 0)
  t.match(JSON.parse(pasted.stdout), { source: 'scaigrid', http_status: 429, retry: { strategy: 'retry_after', delay_ms: 12_000 } })
  const overridden = await cli(['classify', '-', '--json', '--status', '503', '--header', 'Retry-After: 3'], saved)
  t.match(JSON.parse(overridden.stdout), { http_status: 503, retry: { delay_ms: 3000 } })
  const { app } = await build(t)
  const http = await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'message/http' }, payload: saved })
  t.equal(pasted.stdout.trimEnd(), http.body, 'the same answer as POST /classify with message/http')
})

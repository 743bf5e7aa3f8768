import { test, type Test } from 'tap'
import { cp, readFile, rm, writeFile } from 'node:fs/promises'
import { connect, type AddressInfo } from 'node:net'
import { join } from 'node:path'
import { build, CATALOG_DIR, startService } from '../helper.js'
import { loadCatalog } from '../../src/catalog/load.js'
import { CONNECTION_TIMEOUT_MS, KEEP_ALIVE_TIMEOUT_MS, REQUEST_TIMEOUT_MS } from '../../src/ops/app.js'
import { SCRAPE_CACHE_MS } from '../../src/ops/metrics.js'

async function catalogCopy (t: Test): Promise<string> {
  const dir = t.testdir({})
  await cp(CATALOG_DIR, dir, { recursive: true })
  return dir
}

function metricValue (text: string, line: string): number | null {
  const found = text.split('\n').find((candidate) => candidate.startsWith(line + ' '))
  return found === undefined ? null : Number(found.slice(line.length + 1))
}

test('/metrics serves Prometheus text with request durations, classifications, catalog entries, reloads and process defaults', async (t) => {
  const { app } = await build(t)
  await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'content-type': 'application/json' }, payload: '{"status":"error","error":{"code":"RATE_LIMITED","message":"slow down"},"meta":{"request_id":"r"}}' })
  await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'content-type': 'application/json' }, payload: '{"status":"error","error":{"code":"RATE_LIMITED","message":"slow down"},"meta":{"request_id":"r"}}' })
  await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'text/plain' }, payload: 'raw-code-ZZZ-9 something odd' })
  await app.inject({ method: 'POST', url: '/classify/batch', payload: { items: [{ status: 404, body: { error: 'Agent not found' } }] } })
  await app.inject({ url: '/codes/scope_insufficient' })
  await app.inject({ url: '/no/such/path/abc123' })

  const res = await app.inject({ url: '/metrics' })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/plain; version=0\.0\.4/)
  const text = res.body
  t.equal(metricValue(text, 'errcat_classifications_total{source="scaigrid",normalized_code="rate_limited",matched_by="code"}'), 2)
  t.equal(metricValue(text, 'errcat_classifications_total{source="none",normalized_code="unknown",matched_by="none"}'), 1)
  t.equal(metricValue(text, 'errcat_classifications_total{source="onecli",normalized_code="not_found",matched_by="message"}'), 1)
  t.equal(metricValue(text, 'errcat_http_request_duration_seconds_count{method="GET",route="/codes/:code",status_code="200"}'), 1)
  t.equal(metricValue(text, 'errcat_http_request_duration_seconds_count{method="POST",route="/classify",status_code="200"}'), 3)
  t.equal(metricValue(text, 'errcat_http_request_duration_seconds_count{method="GET",route="(no route)",status_code="404"}'), 1)
  const catalog = await loadCatalog(CATALOG_DIR)
  for (const id of catalog.sourceIds) {
    t.equal(metricValue(text, `errcat_catalog_entries{source="${id}"}`), catalog.sources.get(id)?.entries.length, `entries of ${id}`)
  }
  t.equal(metricValue(text, 'errcat_catalog_reloads_total{result="success"}'), 0)
  t.equal(metricValue(text, 'errcat_catalog_reloads_total{result="failure"}'), 0)
  t.match(text, /^process_resident_memory_bytes \d+/m, 'process defaults')
  t.match(text, /^nodejs_eventloop_lag_seconds /m)
  t.notOk(text.includes('raw-code-ZZZ') || text.includes('slow down') || text.includes('abc123'), 'no raw upstream text or URL becomes a label')

  // Classification counts are handed to prom-client at each scrape: a scrape neither doubles nor loses them.
  const rateLimited = 'errcat_classifications_total{source="scaigrid",normalized_code="rate_limited",matched_by="code"}'
  t.equal(metricValue((await app.inject({ url: '/metrics' })).body, rateLimited), 2, 'a second scrape reports the same count')
  await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'content-type': 'application/json' }, payload: '{"status":"error","error":{"code":"RATE_LIMITED","message":"slow down"},"meta":{"request_id":"r"}}' })
  await new Promise((resolve) => setTimeout(resolve, SCRAPE_CACHE_MS + 50))
  t.equal(metricValue((await app.inject({ url: '/metrics' })).body, rateLimited), 3, 'a classification after a scrape is counted on top')
})

test('scrapes within a second share one rendering, so scrapers cannot starve the routes', async (t) => {
  const { app } = await build(t)
  const classify = async (): Promise<void> => {
    await app.inject({ method: 'POST', url: '/classify?status=429', headers: { 'content-type': 'application/json' }, payload: '{"error":{"code":"BACKEND_RATE_LIMITED"}}' })
  }
  const counted = (text: string): number | null => metricValue(text, 'errcat_classifications_total{source="scaigrid",normalized_code="rate_limited",matched_by="code"}')
  await classify()
  const started = Date.now()
  const first = (await app.inject({ url: '/metrics' })).body
  await classify()
  const second = (await app.inject({ url: '/metrics' })).body
  // A machine stalled past the window renders again; that is the cache working too.
  if (Date.now() - started < SCRAPE_CACHE_MS) t.equal(second, first, 'the second scrape is the first rendering')
  else t.equal(counted(second), 2, 'a scrape after the window renders anew')
  await new Promise((resolve) => setTimeout(resolve, SCRAPE_CACHE_MS + 50))
  t.equal(counted((await app.inject({ url: '/metrics' })).body), 2, 'after the window, a scrape renders anew')
})

test('a reload swaps in a valid catalog: new answers, new version header, readiness reports it, counted', async (t) => {
  const dir = await catalogCopy(t)
  const { app, logs } = await build(t, { config: { CATALOG_DIR: dir }, catalog: await loadCatalog(dir) })
  const before = await app.inject({ url: '/codes/scope_insufficient' })
  const oldVersion = before.headers['x-catalog-version'] as string
  t.match(oldVersion, /^[0-9a-f]{16}$/)

  const file = join(dir, 'xerotier.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('title: API key lacks the scope the call needs', 'title: Reloaded title'))
  const result = await app.reloadCatalog()
  t.equal(result.ok, true)

  const after = await app.inject({ url: '/codes/scope_insufficient' })
  t.equal(after.json().matches[0].title, 'Reloaded title')
  const newVersion = after.headers['x-catalog-version'] as string
  t.not(newVersion, oldVersion)
  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.json().catalog.version, newVersion)
  t.match(ready.json().last_reload, { result: 'success', at: String }, 'readiness reports the last reload')
  t.notOk('reason' in ready.json().last_reload)
  const metrics = await app.inject({ url: '/metrics' })
  t.equal(metricValue(metrics.body, 'errcat_catalog_reloads_total{result="success"}'), 1)
  t.ok(logs.some((line) => line.msg === 'catalog reloaded' && line.catalog_version === newVersion))
})

test('a reload of a broken catalog is refused: the last good catalog keeps serving, the error names file, entry and field', async (t) => {
  const dir = await catalogCopy(t)
  const { app, logs } = await build(t, { config: { CATALOG_DIR: dir }, catalog: await loadCatalog(dir) })
  const version = (await app.inject({ url: '/readyz' })).json().catalog.version

  const file = join(dir, 'scaigrid.yaml')
  await writeFile(file, (await readFile(file, 'utf8')).replace('normalized_code: rate_limited', 'normalized_code: slow_down'))
  const result = await app.reloadCatalog()
  t.equal(result.ok, false)

  const ready = await app.inject({ url: '/readyz' })
  t.equal(ready.statusCode, 200)
  t.equal(ready.json().catalog.version, version, 'the old catalog is still in service')
  t.match(ready.json().last_reload, { result: 'failure', reason: /normalized_code/ }, 'readiness says the last reload was refused, and why')
  const lookup = await app.inject({ url: '/codes/RATE_LIMITED?source=scaigrid' })
  t.equal(lookup.json().matches[0].normalized_code, 'rate_limited')
  const refused = logs.find((line) => line.msg === 'catalog reload refused; the last good catalog keeps serving')
  t.match(refused, { level: 50, file, entry: /^entries\[\d+\] \("[A-Z_]+"\)$/, field: 'normalized_code', catalog_version: version })
  const metrics = await app.inject({ url: '/metrics' })
  t.equal(metricValue(metrics.body, 'errcat_catalog_reloads_total{result="failure"}'), 1)
  t.equal(metricValue(metrics.body, 'errcat_catalog_reloads_total{result="success"}'), 0)
})

test('a reload that would drop a whole source is refused unless CATALOG_ALLOW_SOURCE_REMOVAL=1', async (t) => {
  for (const allowed of [false, true]) {
    const dir = await catalogCopy(t)
    const { app, logs } = await build(t, { config: { CATALOG_DIR: dir, CATALOG_ALLOW_SOURCE_REMOVAL: allowed ? '1' : '0' }, catalog: await loadCatalog(dir) })
    t.equal((await app.inject({ url: '/readyz' })).json().last_reload, null, 'no reload yet')
    await rm(join(dir, 'onecli.yaml'))
    const result = await app.reloadCatalog()
    const sources = (await app.inject({ url: '/sources' })).json<{ sources: Array<{ id: string }> }>().sources.map((source) => source.id)
    const ready = (await app.inject({ url: '/readyz' })).json()
    if (allowed) {
      t.equal(result.ok, true, 'allowed: the reload goes through')
      t.notOk(sources.includes('onecli'), 'and onecli is gone')
      t.equal(ready.last_reload.result, 'success')
    } else {
      t.equal(result.ok, false, 'refused')
      t.ok(sources.includes('onecli'), 'onecli keeps serving')
      t.match(ready.last_reload, { result: 'failure', reason: 'the reload would drop the source onecli, whose file is gone; set CATALOG_ALLOW_SOURCE_REMOVAL=1 to allow it' })
      t.ok(logs.some((line) => line.msg === 'catalog reload refused; the last good catalog keeps serving'))
    }
  }
})

test('a reload refuses a catalog file over CATALOG_FILE_LIMIT_BYTES; the last good catalog keeps serving', async (t) => {
  const dir = await catalogCopy(t)
  const { app } = await build(t, { config: { CATALOG_DIR: dir, CATALOG_FILE_LIMIT_BYTES: 64 * 1024 }, catalog: await loadCatalog(dir) })
  const result = await app.reloadCatalog()
  t.equal(result.ok, false)
  t.match((await app.inject({ url: '/readyz' })).json().last_reload,
    { result: 'failure', reason: /\/[a-z]+\.yaml: is larger than 65536 bytes; set CATALOG_FILE_LIMIT_BYTES to allow it$/ })
  t.equal((await app.inject({ url: '/codes/scope_insufficient' })).statusCode, 200)
})

test('closing abandons a reload in progress: shutdown never waits on it', async (t) => {
  const dir = await catalogCopy(t)
  const { app } = await build(t, { config: { CATALOG_DIR: dir }, catalog: await loadCatalog(dir) })
  const reloading = app.reloadCatalog()
  await app.close()
  const result = await reloading
  t.equal(result.ok, false)
  t.match(app.lastReload, { result: 'failure', reason: /the load was abandoned \(shutdown\)$/ })
})

test('under event-loop overload, requests are shed with a 503 problem and Retry-After; /healthz, /readyz and /metrics stay exempt', async (t) => {
  const { app } = await build(t, { loadShedding: { maxEventLoopDelayMs: 20, sampleIntervalMs: 5, warmUpMs: 0 } })
  await app.ready()
  // Block the event loop well past the threshold, then let the sampler see it.
  // The sampler runs on its own timer, which a busy machine may run late, so a
  // few rounds are allowed.
  const blockThenAsk = async () => {
    const until = Date.now() + 300
    while (Date.now() < until) { /* busy */ }
    await new Promise((resolve) => setTimeout(resolve, 10))
    return await app.inject({ url: '/codes/scope_insufficient' })
  }
  let shed = await blockThenAsk()
  for (let round = 1; round < 5 && shed.statusCode !== 503; round++) shed = await blockThenAsk()
  t.equal(shed.statusCode, 503)
  t.equal(shed.headers['retry-after'], '1')
  t.match(shed.headers['content-type'], /^application\/problem\+json/)
  t.match(shed.json(), { type: 'urn:errcat:problem:overloaded', status: 503, request_id: String })
  t.equal((await app.inject({ url: '/healthz' })).statusCode, 200)
  t.equal((await app.inject({ url: '/readyz' })).statusCode, 200, 'a busy replica is still ready')
  t.equal((await app.inject({ url: '/metrics' })).statusCode, 200)
})

test('while the service warms up, a delayed event loop sheds nothing', async (t) => {
  const { app } = await build(t, { loadShedding: { maxEventLoopDelayMs: 20, sampleIntervalMs: 5, warmUpMs: 60_000 } })
  await app.ready()
  const until = Date.now() + 300
  while (Date.now() < until) { /* busy, as a boot on a loaded machine is */ }
  await new Promise((resolve) => setTimeout(resolve, 10))
  t.equal((await app.inject({ url: '/codes/scope_insufficient' })).statusCode, 200)
})

test('the running service reloads its catalog on SIGHUP and keeps running (it is no stop signal)', { timeout: 90_000 }, async (t) => {
  const dir = await catalogCopy(t)
  const { address, child, exited, output } = await startService(t, [...process.execArgv, 'src/main.ts'], {
    // Shedding off: a reload on a busy machine may delay the event loop past its threshold, and this test is about the reload.
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CATALOG_DIR: dir, LOG_LEVEL: 'info', SHED_EVENT_LOOP_DELAY_MS: '0' }
  })
  const version = async (): Promise<string> => ((await (await fetch(`${address}/readyz`)).json()) as { catalog: { version: string } }).catalog.version
  const before = await version()

  const file = join(dir, 'onecli.yaml')
  await writeFile(file, (await readFile(file, 'utf8')) + '\n# edited\n')
  child.kill('SIGHUP')
  // The reload runs in a worker thread, which a busy machine may take many seconds to start.
  const deadline = Date.now() + 60_000
  let after = before
  while (after === before && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    after = await version()
  }
  t.not(after, before, 'the new catalog is in service')
  // Log lines reach stdout asynchronously (pino's default destination).
  while (!output().includes('"msg":"catalog reloaded"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  t.match(output(), /"msg":"catalog reloaded"/)
  t.notMatch(output(), /"signal":"SIGHUP"/, 'SIGHUP did not start a shutdown')
  child.kill('SIGTERM')
  t.equal(await exited, 0)
})

test('a body sent a byte at a time is cut when the request timeout passes, not whenever Node next looks', { timeout: 60_000 }, async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  // The client would need 1000 s to send its body; it gives up itself well after the request timeout
  // plus the one-second check, and well before Node's default 30 s check would have cut it.
  const guardMs = REQUEST_TIMEOUT_MS + 12_000
  const outcome = await new Promise<{ cutByServer: boolean, answer: string, bytesSent: number }>((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    let bytesSent = 0
    let drip: NodeJS.Timeout | undefined
    const guard = setTimeout(() => finish(false), guardMs)
    function finish (cutByServer: boolean): void {
      clearInterval(drip)
      clearTimeout(guard)
      socket.destroy()
      resolve({ cutByServer, answer, bytesSent })
    }
    socket.on('data', (chunk) => { answer += String(chunk) })
    socket.on('close', () => finish(true))
    socket.on('error', () => finish(true))
    socket.on('connect', () => {
      socket.write('POST /classify?status=500 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\n')
      drip = setInterval(() => { socket.write('x'); bytesSent++ }, 1000)
    })
  })
  t.ok(outcome.cutByServer, `the server ended the request (after ${outcome.bytesSent} of 1000 body bytes)`)
  t.ok(outcome.bytesSent < 1000, 'before the body had arrived')
  t.match(outcome.answer, /^HTTP\/1\.1 408 Request Timeout\r\n/, 'with a 408')
  t.match(outcome.answer, /\r\ncontent-type: application\/problem\+json/i, 'an RFC 9457 problem')
  t.match(outcome.answer, /\r\nx-request-id: [0-9a-f-]{36}\r\n/i, 'with its request id')
  const body = JSON.parse(outcome.answer.slice(outcome.answer.indexOf('\r\n\r\n') + 4)) as Record<string, unknown>
  t.match(body, { type: 'urn:errcat:problem:request-timeout', status: 408, title: 'Request Timeout' })
})

/** What a raw HTTP client gets back for these bytes, up to the server's close. */
async function rawExchange (port: number, bytes: string): Promise<string> {
  return await new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const guard = setTimeout(() => socket.destroy(), 10_000)
    socket.on('data', (chunk) => { answer += String(chunk) })
    socket.on('close', () => { clearTimeout(guard); resolve(answer) })
    socket.on('error', () => { /* the close that follows resolves */ })
    socket.on('connect', () => socket.write(bytes))
  })
}

test('what Node refuses before there is a request gets an RFC 9457 problem with a request id, is logged and counted', async (t) => {
  const { app, logs } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const cases: Array<[string, string, number, string]> = [
    ['a malformed request line', 'GARBAGE\r\n\r\n', 400, 'urn:errcat:problem:bad-request'],
    ['bad framing', 'POST /classify HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n', 400, 'urn:errcat:problem:bad-request'],
    ['headers over 16 KiB', `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'urn:errcat:problem:header-fields-too-large'],
    ['CONNECT, errcat being no proxy', 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400, 'urn:errcat:problem:bad-request']
  ]
  for (const [name, bytes, status, type] of cases) {
    const answer = await rawExchange(port, bytes)
    t.match(answer, new RegExp(`^HTTP/1\\.1 ${status} `), `${name}: ${status}`)
    const id = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/i.exec(answer)?.[1]
    t.ok(id, `${name}: a request id`)
    t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { type, status, request_id: id }, `${name}: the problem`)
    t.ok(logs.some((line) => line.request_id === id && line.route === '(client error)' && line.status === status), `${name}: one log line, keyed by its request id`)
  }
  const metrics = (await app.inject({ url: '/metrics' })).body
  t.match(metrics, /errcat_http_client_errors_total\{status_code="400"\} 3/)
  t.match(metrics, /errcat_http_client_errors_total\{status_code="431"\} 1/)
})

test('the HTTP server errcat makes for Fastify carries the timeouts Fastify would have set', async (t) => {
  const { app } = await build(t)
  t.same({
    keepAlive: app.server.keepAliveTimeout,
    request: app.server.requestTimeout,
    headers: app.server.headersTimeout,
    socket: app.server.timeout
  }, { keepAlive: KEEP_ALIVE_TIMEOUT_MS, request: REQUEST_TIMEOUT_MS, headers: REQUEST_TIMEOUT_MS, socket: CONNECTION_TIMEOUT_MS })
})

test('an HTTP/1.1 request without Host gets a 400 problem; an expectation errcat does not know is ignored', async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const noHost = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n')
  t.match(noHost, /^HTTP\/1\.1 400 /, 'no Host: 400')
  const id = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/i.exec(noHost)?.[1]
  t.ok(id, 'with a request id')
  t.match(JSON.parse(noHost.slice(noHost.indexOf('\r\n\r\n') + 4)), { type: 'urn:errcat:problem:bad-request', detail: /Host/, request_id: id })
  const http10 = await rawExchange(port, 'GET /healthz HTTP/1.0\r\n\r\n')
  t.match(http10, /^HTTP\/1\.1 200 /, 'HTTP/1.0 has no Host to require')
  const expect = await rawExchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: foo\r\nConnection: close\r\n\r\n')
  t.match(expect, /^HTTP\/1\.1 200 [^]*"status":"ok"/, 'Expect: foo is answered as if absent')
})

test('an over-limit body gets its 413 on a connection that stays open: the rest of the body is read, not reset', { timeout: 60_000 }, async (t) => {
  const { app } = await build(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const size = 4 * 1024 * 1024
  // The whole body, then a second request on the same connection: a server that
  // closed after its 413 would reset the client mid-body and never answer the second.
  const answer = await rawExchange(port,
    `POST /classify?status=500 HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${size}\r\n\r\n${'x'.repeat(size)}` +
    'GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  t.match(answer, /^HTTP\/1\.1 413 /, 'the 413 first')
  t.notMatch(answer.slice(0, answer.indexOf('\r\n\r\n')), /\r\nconnection: close/i, 'without closing the connection')
  t.match(answer, /\r\n\r\n[^]*HTTP\/1\.1 200 OK[^]*"status":"ok"/, 'and the next request on it answered')
})

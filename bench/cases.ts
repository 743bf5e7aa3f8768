// The inputs the benchmarks send: one per matching path, as gateways send them.
import { classify, type Classification, type ClassifyInput } from '../src/engine/classify.js'
import type { Catalog } from '../src/catalog/types.js'
import type { LoadRequest } from './lib.js'

export const SCAIGRID_RATE_LIMIT = '{"status":"error","error":{"code":"BACKEND_RATE_LIMITED","message":"Backend rate limit exceeded — please retry later","retry_after":30},"meta":{"request_id":"req_abc123"}}'
export const ONECLI_TEMPLATE = '{"error":"Unknown provider: slack"}'
export const NGINX_502 = '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.25.3</center>\r\n</body>\r\n</html>\r\n'

/** classify() inputs, one per matching path, for the engine micro-benchmark. */
export const ENGINE_CASES: Record<string, ClassifyInput> = {
  code: { status: 429, body: SCAIGRID_RATE_LIMIT, contentType: 'application/json' },
  code_pattern: { status: 404, body: '{"status":"error","error":{"code":"SCAIMATRIX_INDEX_NOT_FOUND","message":"Index not found"},"meta":{"request_id":"r1"}}', contentType: 'application/json' },
  message: { status: 404, body: '{"error":"Agent not found"}', contentType: 'application/json' },
  message_template: { status: 404, body: ONECLI_TEMPLATE, contentType: 'application/json' },
  type: { status: 401, body: '{"error":{"message":"Invalid API key","type":"authentication_error","code":null,"param":null}}', contentType: 'application/json' },
  status: { status: 503, body: '', contentType: null },
  html: { status: 502, body: NGINX_502, contentType: 'text/html' }
}

export function batchBody (size: number): string {
  const kinds = Object.values(ENGINE_CASES)
  const items = Array.from({ length: size }, (_, i) => {
    const input = kinds[i % kinds.length] as ClassifyInput
    return { status: input.status, body: input.body, content_type: input.contentType ?? undefined }
  })
  return JSON.stringify({ items })
}

/** One classify() call per matching path against `catalog`, for timing. */
export function engineCalls (catalog: Catalog): Record<string, () => Classification> {
  return Object.fromEntries(Object.entries(ENGINE_CASES).map(([name, input]) => [name, () => classify(input, catalog)]))
}

export const BATCH_SIZE = 100

/** The routes measured against the floor, each with the request the load sends. */
export const ROUTES: Record<string, LoadRequest> = {
  'GET /codes/:code': { method: 'GET', path: '/codes/scope_insufficient' },
  'POST /classify (scaigrid rate limit)': { method: 'POST', path: '/classify?status=429', headers: { 'content-type': 'application/json' }, body: SCAIGRID_RATE_LIMIT },
  'POST /classify (onecli template)': { method: 'POST', path: '/classify?status=404', headers: { 'content-type': 'application/json' }, body: ONECLI_TEMPLATE },
  'POST /classify (nginx 502 HTML)': { method: 'POST', path: '/classify?status=502', headers: { 'content-type': 'text/html' }, body: NGINX_502 },
  'POST /classify/batch (100 items)': { method: 'POST', path: '/classify/batch', headers: { 'content-type': 'application/json' }, body: batchBody(BATCH_SIZE) }
}

/** A request the scale probe sends once, and the status it must answer with. */
export interface ProbeRoute extends LoadRequest { expect: '2xx' | 404 }

/** Every route of the service, each classify body above included: what a large catalog must still answer. */
export const PROBE_ROUTES: Record<string, ProbeRoute> = {
  'GET /codes/scope_insufficient': { method: 'GET', path: '/codes/scope_insufficient', expect: '2xx' },
  'GET /codes/some_unknown_code': { method: 'GET', path: '/codes/some_unknown_code', expect: 404 },
  'GET /codes?q=quota': { method: 'GET', path: '/codes?q=quota', expect: '2xx' },
  'GET /sources': { method: 'GET', path: '/sources', expect: '2xx' },
  'GET /taxonomy': { method: 'GET', path: '/taxonomy', expect: '2xx' },
  'GET /healthz': { method: 'GET', path: '/healthz', expect: '2xx' },
  'GET /readyz': { method: 'GET', path: '/readyz', expect: '2xx' },
  'GET /metrics': { method: 'GET', path: '/metrics', expect: '2xx' },
  ...Object.fromEntries(Object.entries(ENGINE_CASES).map(([name, input]) => [`POST /classify (${name})`, {
    method: 'POST',
    path: input.status === null || input.status === undefined ? '/classify' : `/classify?status=${input.status}`,
    ...(input.contentType === null || input.contentType === undefined ? {} : { headers: { 'content-type': input.contentType } }),
    body: typeof input.body === 'string' ? input.body : JSON.stringify(input.body),
    expect: '2xx'
  } satisfies ProbeRoute])),
  [`POST /classify/batch (${BATCH_SIZE} items)`]: { method: 'POST', path: '/classify/batch', headers: { 'content-type': 'application/json' }, body: batchBody(BATCH_SIZE), expect: '2xx' }
}

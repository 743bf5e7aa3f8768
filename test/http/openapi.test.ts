import { test } from 'tap'
import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import Fastify, { type InjectOptions } from 'fastify'
import { Type } from '@sinclair/typebox'
import { build, bundledCatalog, type Teardown } from '../helper.js'
import { NORMALIZED_CODES } from '../../src/catalog/schema.js'
import openapi, { CLASSIFY_EXAMPLES } from '../../src/http/openapi.js'
import { PROBLEM_KINDS, problemType } from '../../src/http/problems.js'

const committedJson = new URL('../../openapi/openapi.json', import.meta.url)
const committedYaml = new URL('../../openapi/openapi.yaml', import.meta.url)
const catalog = await bundledCatalog()

async function served (t: Teardown) {
  const { app } = await build(t)
  await app.ready()
  return { app, document: app.swagger() as unknown as OpenAPI.Document }
}

test('the committed openapi/ files are exactly what the app serves (run `npm run openapi` after changing routes or the catalog)', async (t) => {
  const { app } = await served(t)
  const json = await app.inject({ url: '/openapi.json' })
  t.equal(json.statusCode, 200)
  t.same(json.json(), JSON.parse(await readFile(committedJson, 'utf8')), 'openapi.json is current')
  const yaml = await app.inject({ url: '/openapi.yaml' })
  t.equal(yaml.statusCode, 200)
  t.match(yaml.headers['content-type'], /^application\/yaml/)
  t.equal(yaml.body, await readFile(committedYaml, 'utf8'), 'openapi.yaml is current')
})

test('the document is valid OpenAPI 3.1 with an info block and tags', async (t) => {
  const { document } = await served(t)
  t.equal(document.openapi, '3.1.0')
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string, license: string }
  t.match(document.info, { title: 'errcat', version: pkg.version, description: /RFC 9457/ })
  t.same(document.tags?.map((tag) => tag.name), ['codes', 'classify', 'operations'])
  t.same(document.info.license, { name: 'MIT', identifier: pkg.license })
  t.ok(document.info.contact?.name, 'a contact')
  t.match(document.servers, [{ url: 'http://{host}:{port}', description: /8080/, variables: { host: { default: 'localhost' }, port: { default: '8080' } } }])
  t.same(document.security, [], 'errcat authenticates no one')
  // SwaggerParser.validate dereferences in place: give it a copy.
  await t.resolves(SwaggerParser.validate(structuredClone(document) as never), 'swagger-parser accepts the document')
})

test('every route is described, with problem answers as one shared Problem component', async (t) => {
  const { document } = await served(t)
  const paths = document.paths ?? {}
  for (const path of ['/codes/{code}', '/codes', '/sources', '/taxonomy', '/classify', '/classify/batch', '/healthz', '/readyz']) {
    t.ok(paths[path], `${path} is described`)
  }
  const components = document.components?.schemas ?? {}
  for (const name of ['Problem', 'Entry', 'RetryPolicy', 'Remediation', 'Classification']) t.ok(components[name], `${name} is a component`)
  let problems = 0
  for (const [path, item] of Object.entries(paths)) {
    for (const method of ['get', 'post'] as const) {
      const operation = item?.[method]
      if (operation === undefined) continue
      t.ok(operation.responses?.['200'], `${method} ${path} documents its 200`)
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        if (Number(status) < 400) continue
        const content = (response as OpenAPI.ResponseObject).content ?? {}
        t.same(content['application/problem+json']?.schema, { $ref: '#/components/schemas/Problem' }, `${method} ${path} ${status} references Problem`)
        problems++
      }
    }
  }
  t.ok(problems >= 10, `problem answers are documented (${problems})`)
  const classifyBody = paths['/classify']?.post?.requestBody as OpenAPI.RequestBodyObject
  t.same(Object.keys(classifyBody.content), ['application/json', 'text/plain', 'text/html', 'message/http', '*/*'], '/classify documents its examples\' content types, a saved response, and any other')
})

/** Every operation of the document, with its method and path. */
function operations (document: OpenAPI.Document): Array<{ method: string, path: string, operation: OpenAPI.OperationObject }> {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    (['get', 'post'] as const).flatMap((method) => item?.[method] === undefined ? [] : [{ method, path, operation: item[method] }]))
}

test('every operation has its own camelCase operationId', async (t) => {
  const { document } = await served(t)
  const ids = operations(document).map(({ operation }) => operation.operationId)
  t.same(ids.slice().sort(), ['classify', 'classifyBatch', 'getCode', 'getTaxonomy', 'healthz', 'listSources', 'metrics', 'readyz', 'searchCodes'])
  for (const id of ids) t.match(id, /^[a-z][A-Za-z0-9]*$/)
})

test('enumerations are enums, never anyOf', async (t) => {
  const { document } = await served(t)
  const text = JSON.stringify(document)
  t.notOk(text.includes('"anyOf"'), 'no anyOf in the document')
  const normalized = document.components?.schemas?.NormalizedCode as OpenAPI.SchemaObject
  t.match(normalized, { type: 'string', enum: [...NORMALIZED_CODES] })
  const format = document.paths?.['/codes']?.get?.parameters?.find((parameter) => (parameter as OpenAPI.ParameterObject).name === 'format') as OpenAPI.ParameterObject
  t.same(format.schema, { type: 'string', enum: ['json', 'text'] })
})

test('a query parameter with a default is optional, and the server applies the default', async (t) => {
  const { app, document } = await served(t)
  const parameters = document.paths?.['/codes']?.get?.parameters as OpenAPI.ParameterObject[]
  for (const name of ['limit', 'offset']) {
    const parameter = parameters.find((candidate) => candidate.name === name)
    t.equal(parameter?.required, false, `${name} is optional`)
    t.ok((parameter?.schema as OpenAPI.SchemaObject).default !== undefined, `${name} documents its default`)
  }
  const all = await app.inject({ url: '/codes?limit=100' })
  const page = await app.inject({ url: '/codes' })
  t.equal(page.statusCode, 200)
  t.same(page.json().items, all.json().items.slice(0, 20), 'limit=20 and offset=0 by default')
})

test('every problem answer has examples from the registry, each with its own status, type and title', async (t) => {
  const { document } = await served(t)
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: 'openapi.json', components: document.components })
  const validProblem = ajv.compile({ $ref: 'openapi.json#/components/schemas/Problem' })
  let answers = 0
  for (const { method, path, operation } of operations(document)) {
    for (const [status, response] of Object.entries(operation.responses ?? {})) {
      const media = (response as OpenAPI.ResponseObject).content?.['application/problem+json']
      if (media === undefined) continue
      answers++
      const examples = Object.values(media.examples ?? {}) as OpenAPI.ExampleObject[]
      t.ok(examples.length > 0, `${method} ${path} ${status} has examples`)
      for (const example of examples) {
        const value = example.value as { type: string, title: string, status: number }
        const kind = PROBLEM_KINDS.find((candidate) => problemType(candidate) === value.type)
        t.match(value, { status: Number(status), title: kind?.title }, `${method} ${path} ${status}: ${value.type}`)
        t.equal(kind?.status, Number(status), `${value.type} is a ${status}`)
        t.ok(validProblem(value), `${method} ${path} ${status}: ${ajv.errorsText(validProblem.errors)}`)
      }
    }
  }
  t.ok(answers >= 15, `problem answers are exemplified (${answers})`)
  const readiness = (document.paths?.['/readyz']?.get?.responses?.['503'] as OpenAPI.ResponseObject).content?.['application/problem+json']
  t.same(Object.keys(readiness?.examples ?? {}), ['shutting-down'], 'readiness is never shed: its 503 is shutting down')
  const lookup = (document.paths?.['/codes/{code}']?.get?.responses?.['404'] as OpenAPI.ResponseObject).content?.['application/problem+json']
  t.match(lookup?.examples?.['unknown-code'], { value: { instance: '/codes/scope_insuficient', suggestions: ['scope_insufficient'] } }, 'the live catalog suggests')
})

test('a route without response schemas gets none added', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(openapi, { currentCatalog: () => catalog })
  app.get('/unanswered', { schema: { operationId: 'unanswered', tags: ['operations'], summary: 'No response schema', querystring: Type.Object({ q: Type.Optional(Type.String()) }) } }, async () => '')
  await app.ready()
  const document = app.swagger() as unknown as OpenAPI.Document
  t.same(Object.keys(document.paths?.['/unanswered']?.get?.responses ?? {}), ['200'], 'only the default answer @fastify/swagger writes')
})

test('every request body has examples for each content type it documents', async (t) => {
  const { document } = await served(t)
  let bodies = 0
  for (const { method, path, operation } of operations(document)) {
    const body = operation.requestBody as OpenAPI.RequestBodyObject | undefined
    if (body === undefined) continue
    bodies++
    for (const [type, media] of Object.entries(body.content)) {
      t.ok(Object.keys(media.examples ?? {}).length > 0, `${method} ${path} ${type} has examples`)
    }
  }
  t.equal(bodies, 2, '/classify and /classify/batch')
})

test('examples come from the real catalog', async (t) => {
  const { document } = await served(t)
  const lookupMedia = (document.paths?.['/codes/{code}']?.get?.responses?.['200'] as OpenAPI.ResponseObject).content?.['application/json']
  const lookupExample = lookupMedia?.examples?.scope_insufficient as OpenAPI.ExampleObject
  t.match(lookupExample.value, { query: 'scope_insufficient', matches: [{ source: 'xerotier', code: 'scope_insufficient', remediation: { diagnostic: 'xeroctl keys' } }] })

  const classifyMedia = (document.paths?.['/classify']?.post?.responses?.['200'] as OpenAPI.ResponseObject).content?.['application/json']
  const examples = classifyMedia?.examples as Record<string, OpenAPI.ExampleObject>
  t.same(Object.keys(examples), Object.keys(CLASSIFY_EXAMPLES))
  t.match(examples.scaigrid_rate_limit?.value, { source: 'scaigrid', code: 'BACKEND_RATE_LIMITED', normalized_code: 'rate_limited', retry: { strategy: 'retry_after', delay_ms: 30000 } })
  t.match(examples.onecli_template?.value, { source: 'onecli', matched_by: 'message_template', params: { provider: 'slack' } })
  t.match(examples.nullspace_flat?.value, { source: 'nullspace', code: 'sandbox_not_found', normalized_code: 'not_found' })
  t.match(examples.shared_envelope?.value, { source: null, candidates: ['openai', 'xerotier'], normalized_code: 'rate_limited', retry: { delay_ms: 1500 } })
  t.match(examples.proxy_page?.value, { source: 'envoy', normalized_code: 'upstream_unreachable', evidence: [/Envoy/, /envoy/, /proxy/] })
  t.match(examples.nginx_page?.value, { source: 'nginx', normalized_code: 'upstream_error', message: '502 Bad Gateway' })
})

test('each body example, sent, gets the answer documented beside it', async (t) => {
  const { app, document } = await served(t)
  const classifyOperation = document.paths?.['/classify']?.post
  const requests = (classifyOperation?.requestBody as OpenAPI.RequestBodyObject).content
  const answers = (classifyOperation?.responses?.['200'] as OpenAPI.ResponseObject).content?.['application/json']?.examples ?? {}
  for (const [name, example] of Object.entries(CLASSIFY_EXAMPLES)) {
    const sent = (requests[example.contentType]?.examples?.[name] as OpenAPI.ExampleObject).value as unknown
    const headers = Object.fromEntries(Object.entries(example.headers ?? {}).map(([header, value]) => [`x-upstream-${header}`, value]))
    const res = await app.inject({
      method: 'POST',
      url: `/classify?status=${example.status}`,
      headers: { 'content-type': example.contentType, ...headers },
      payload: typeof sent === 'string' ? sent : JSON.stringify(sent)
    })
    t.same(res.json(), (answers[name] as OpenAPI.ExampleObject).value, `${name}: the documented answer`)
  }

  const saved = (requests['message/http']?.examples?.curl_si as OpenAPI.ExampleObject).value as string
  const savedAnswer = await app.inject({ method: 'POST', url: '/classify', headers: { 'content-type': 'message/http' }, payload: saved })
  t.match(savedAnswer.json(), { source: 'scaigrid', http_status: 429, retry: { strategy: 'retry_after', delay_ms: 7000 } }, 'the saved response: its status and Retry-After are read')

  const batchOperation = document.paths?.['/classify/batch']?.post
  const batch = (batchOperation?.requestBody as OpenAPI.RequestBodyObject).content['application/json']?.examples?.classify_examples as OpenAPI.ExampleObject
  const batchAnswer = (batchOperation?.responses?.['200'] as OpenAPI.ResponseObject).content?.['application/json']?.examples?.classify_examples as OpenAPI.ExampleObject
  const res = await app.inject({ method: 'POST', url: '/classify/batch', payload: batch.value as object })
  t.equal(res.statusCode, 200)
  t.same(res.json(), batchAnswer.value, 'the batch example gets the documented results')
  t.same((batchAnswer.value as { results: unknown[] }).results, Object.keys(CLASSIFY_EXAMPLES).map((name) => (answers[name] as OpenAPI.ExampleObject).value),
    'one result per /classify example, the same as /classify answers')
})

test('real answers match the document\'s response schemas', async (t) => {
  const { app, document } = await served(t)
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  addFormats.default(ajv)
  ajv.addSchema({ $id: 'openapi.json', components: document.components })

  const check = async (request: InjectOptions, path: string, method: 'get' | 'post') => {
    const res = await app.inject(request)
    const mediaType = String(res.headers['content-type']).split(';')[0] as string
    const response = document.paths?.[path]?.[method]?.responses?.[String(res.statusCode)] as OpenAPI.ResponseObject | undefined
    const schema = response?.content?.[mediaType]?.schema
    if (schema === undefined) {
      t.fail(`${method} ${path} ${res.statusCode} ${mediaType} is not documented`)
      return
    }
    const rewritten = JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"openapi.json#/components/')) as object
    const validate = ajv.compile(rewritten)
    const body = mediaType === 'text/plain' ? res.body : res.json()
    t.ok(validate(body), `${method} ${path} ${res.statusCode} ${mediaType} matches: ${ajv.errorsText(validate.errors)}`)
  }

  await check({ url: '/codes/scope_insufficient' }, '/codes/{code}', 'get')
  await check({ url: '/codes/QUOTA_EXCEEDED' }, '/codes/{code}', 'get')
  await check({ url: '/codes/SCAIMATRIX_INDEX_NOT_FOUND' }, '/codes/{code}', 'get')
  await check({ url: '/codes/scope_insufficient?format=text' }, '/codes/{code}', 'get')
  await check({ url: '/codes/scope_insuficient' }, '/codes/{code}', 'get')
  await check({ url: '/codes/x?source=nope' }, '/codes/{code}', 'get')
  await check({ url: '/codes?q=quota' }, '/codes', 'get')
  await check({ url: '/codes?limit=1000' }, '/codes', 'get')
  await check({ url: '/sources' }, '/sources', 'get')
  await check({ url: '/taxonomy' }, '/taxonomy', 'get')
  await check({ url: '/healthz' }, '/healthz', 'get')
  await check({ url: '/readyz' }, '/readyz', 'get')
  for (const example of Object.values(CLASSIFY_EXAMPLES)) {
    await check({ method: 'POST', url: `/classify?status=${example.status}`, headers: { 'content-type': example.contentType }, payload: example.body }, '/classify', 'post')
  }
  await check({ method: 'POST', url: '/classify?status=502', headers: { 'content-type': 'text/html' }, payload: '<html><title>502 Bad Gateway</title></html>' }, '/classify', 'post')
  await check({ method: 'POST', url: '/classify?status=abc' }, '/classify', 'post')
  await check({ method: 'POST', url: '/classify', headers: { 'content-type': 'text/plain' }, payload: 'x'.repeat(1024 * 1024 + 1) }, '/classify', 'post')
  await check({ method: 'POST', url: '/classify/batch', payload: { items: [{ status: 500, body: { error: 'boom' } }, { body: 'plain' }] } }, '/classify/batch', 'post')
  await check({ method: 'POST', url: '/classify/batch', payload: { items: Array.from({ length: 101 }, () => ({})) } }, '/classify/batch', 'post')
  app.lifecycle.draining = true
  await check({ url: '/readyz' }, '/readyz', 'get')
})

test('Swagger UI is served at /docs/ from local assets, with no CDN', async (t) => {
  const { app } = await served(t)
  const page = await app.inject({ url: '/docs/' })
  t.equal(page.statusCode, 200)
  t.match(page.headers['content-type'], /^text\/html/)
  const scripts = [...page.body.matchAll(/src="([^"]+)"/g)].map((match) => match[1] as string)
  t.ok(scripts.length >= 2, 'the page loads its scripts')
  t.notOk(/https?:\/\//.test(scripts.join(' ')), 'every script is local')
  for (const script of scripts) {
    const asset = await app.inject({ url: new URL(script, 'http://localhost/docs/').pathname })
    t.equal(asset.statusCode, 200, `${script} is served`)
  }
  const initializer = await app.inject({ url: '/docs/static/swagger-initializer.js' })
  t.match(initializer.body, /openapi|json/, 'the initializer points at the document')
})

test('the docs page\'s Content-Security-Policy allows what Swagger UI needs, and no more', async (t) => {
  const { app } = await served(t)
  const page = await app.inject({ url: '/docs/' })
  const policy = new Map(String(page.headers['content-security-policy']).split(';').map((directive) => directive.trim()).filter(Boolean)
    .map((directive) => { const [name = '', ...sources] = directive.split(/\s+/); return [name, sources] as const }))
  const sources = (name: string) => policy.get(name) ?? policy.get('default-src') ?? []
  t.same(sources('default-src'), ["'self'"])
  t.same(sources('script-src'), ["'self'"], 'its scripts, all local; nothing inline')
  t.same(sources('style-src'), ["'self'", "'unsafe-inline'"], 'its stylesheets, and the <style> element its bundle inserts')
  t.same(sources('img-src'), ["'self'", 'data:'], 'the data: images its CSS holds')
  t.same(sources('connect-src'), ["'self'"], 'the document and "Try it out" calls, to this origin')
  t.notOk(policy.has('upgrade-insecure-requests'), 'errcat serves plain HTTP: no upgrading its assets to https')
  for (const [, url] of page.body.matchAll(/(?:src|href)="([^"]+)"/g)) t.notOk(/^(https?:|\/\/)/.test(url ?? ''), `${url} is on this origin`)

  const ui = await app.inject({ url: '/docs/json' })
  t.same(ui.json().servers[0], { url: '/', description: 'This errcat, the one serving this page.' }, '"Try it out" calls the errcat serving the page')
  t.same(ui.json().servers.slice(1), (app.swagger() as unknown as OpenAPI.Document).servers)
})

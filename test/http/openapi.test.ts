import { test } from 'tap'
import { readFile } from 'node:fs/promises'
import SwaggerParser from '@apidevtools/swagger-parser'
import { Ajv2020 } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import type { OpenAPIV3_1 as OpenAPI } from 'openapi-types'
import type { InjectOptions } from 'fastify'
import { build, type Teardown } from '../helper.js'
import { CLASSIFY_EXAMPLES } from '../../src/http/openapi.js'

const committedJson = new URL('../../openapi/openapi.json', import.meta.url)
const committedYaml = new URL('../../openapi/openapi.yaml', import.meta.url)

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
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  t.match(document.info, { title: 'errcat', version: pkg.version, description: /RFC 9457/ })
  t.same(document.tags?.map((tag) => tag.name), ['codes', 'classify', 'operations'])
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
  t.ok(paths['/classify']?.post?.requestBody, '/classify documents its request body')
  t.ok((paths['/classify']?.post?.requestBody as OpenAPI.RequestBodyObject).content['*/*'], '/classify accepts any content type')
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

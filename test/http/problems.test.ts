// The problem registry held against the OpenAPI description and the README in
// both directions, as fastify's test/internals/errors.test.js holds its errors
// against its docs: a problem type errcat answers is documented in both, and
// neither documents one errcat does not answer.
import { readFile } from 'node:fs/promises'
import { test } from 'tap'
import { PROBLEM_KINDS, problemForStatus, problemType, PROBLEMS } from '../../src/http/problems.js'

const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8')
const openapi = JSON.parse(await readFile(new URL('../../openapi/openapi.json', import.meta.url), 'utf8')) as {
  components: { schemas: { Problem: { properties: { type: { enum?: string[] } } } } }
}
const registered = PROBLEM_KINDS.map(problemType).sort()

test('every problem type is unique, a URN, and has a title and a meaning', async (t) => {
  t.equal(new Set(registered).size, registered.length)
  for (const kind of PROBLEM_KINDS) {
    t.match(problemType(kind), /^urn:errcat:problem:[a-z]+(-[a-z]+)*$/)
    t.ok(kind.status >= 400 && kind.status < 600, `${kind.slug}: an error status`)
    t.ok(kind.title.length > 0 && kind.meaning.length > 0, `${kind.slug}: title and meaning`)
  }
})

test('the OpenAPI description lists exactly the registered problem types', async (t) => {
  t.same([...openapi.components.schemas.Problem.properties.type.enum ?? []].sort(), registered)
})

test('the README documents exactly the registered problem types, each with its status', async (t) => {
  const documented = [...new Set(readme.match(/urn:errcat:problem:[a-z-]+/g) ?? [])].sort()
  t.same(documented, registered, 'no type missing from the README, none documented that errcat does not answer')
  for (const kind of PROBLEM_KINDS) {
    t.match(readme, new RegExp(`\\| \`${problemType(kind)}\` \\| ${kind.status} \\|`), `${kind.slug}: its row gives status ${kind.status}`)
  }
})

test('a client error Fastify raises gets the registered problem of its status, or bad-request', async (t) => {
  t.equal(problemForStatus(413), PROBLEMS.payloadTooLarge)
  t.equal(problemForStatus(415), PROBLEMS.unsupportedMediaType)
  t.equal(problemForStatus(404), PROBLEMS.notFound)
  t.equal(problemForStatus(418), PROBLEMS.badRequest)
  t.equal(problemForStatus(502), PROBLEMS.internal)
})

// The object literals SDKs print in their exception text, read as data.
import { test } from 'tap'
import { parseObjectLiteral } from '../../src/engine/literal.js'
import { parseBody } from '../../src/engine/parse.js'

const read = (text: string, maxDepth = 64) => parseObjectLiteral(text, 0, maxDepth)

test('reads a Python dict repr, with None, True and False', async (t) => {
  const text = "{'error': {'code': None, 'message': 'It\\'s \"late\"', 'inner': True, 'n': [1, 2.5, -3e2], 'off': False}}"
  t.same(read(text), { ok: true, value: { error: { code: null, message: 'It\'s "late"', inner: true, n: [1, 2.5, -300], off: false } }, end: text.length })
})

test('reads a JavaScript object as util.inspect prints it: bare keys, single quotes, undefined', async (t) => {
  const result = read("{\n  error: {\n    code: '429',\n    message: 'Rate limit',\n    param: undefined,\n  },\n}")
  t.ok(result.ok)
  if (result.ok) t.same(result.value, { error: { code: '429', message: 'Rate limit', param: null } })
})

test('reads JSON and its escapes, and stops at the closing brace', async (t) => {
  const text = '{"a": "tab\\there \\u00e9 \\x41"} and text after'
  const result = read(text)
  t.ok(result.ok)
  if (result.ok) {
    t.same(result.value, { a: 'tab\there é A' })
    t.equal(text.slice(result.end), ' and text after')
  }
  t.same(read('{}'), { ok: true, value: {}, end: 2 })
  t.same(read('{"a": []}'), { ok: true, value: { a: [] }, end: 9 })
})

test('anything that is not a whole literal is no literal', async (t) => {
  for (const text of ['', 'x', '[1]', '{', '{a}', '{a: }', '{a: 1 b: 2}', "{'a': 'open}", '{a: NaNx}', '{a: "\\u12"}', '{a: 1,,}', '{"a": "\\']) {
    t.same(read(text), { ok: false }, JSON.stringify(text))
  }
})

test('depth is bounded: a literal nested past the limit is refused without recursing further', async (t) => {
  t.ok(read('{a: {b: {c: 1}}}', 3).ok)
  t.same(read('{a: {b: {c: {d: 1}}}}', 3), { ok: false })
  t.same(read('{a: ' + '['.repeat(100_000)), { ok: false }, 'a hostile nesting fails at the limit')
})

test('a __proto__ key is kept as data and pollutes nothing', async (t) => {
  const result = read("{'__proto__': {'polluted': True}, 'error': 'x'}")
  t.ok(result.ok)
  if (result.ok) {
    t.equal(Object.getPrototypeOf(result.value), Object.prototype)
    t.same(Object.keys(result.value), ['__proto__', 'error'])
    t.same(Object.getOwnPropertyDescriptor(result.value, '__proto__')?.value, { polluted: true })
  }
  for (const word of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    t.same(read(`{ error: ${word} }`), { ok: false }, `a bare ${word} is no value`)
  }
})

test('util.inspect\'s stand-ins are read as null, and its split strings joined', async (t) => {
  const text = "{\n  status: 400,\n  error: {\n    message: 'The response was filtered due to the prompt ' +\n      'triggering content management policy.',\n    code: 'content_filter',\n    innererror: { content_filter_result: [Object] },\n    seen: [Circular *1],\n    hook: [Function: onError],\n    list: [Array]\n  }\n}"
  const result = read(text)
  t.ok(result.ok)
  if (result.ok) {
    t.same(result.value, {
      status: 400,
      error: {
        message: 'The response was filtered due to the prompt triggering content management policy.',
        code: 'content_filter',
        innererror: { content_filter_result: null },
        seen: null,
        hook: null,
        list: null
      }
    })
  }
  t.same(read("{ a: 'x' + }"), { ok: false }, 'a + with no string after it')
  t.same(read('{ a: [Nonsense] }'), { ok: false }, 'only inspect\'s own markers')
})

test('SDK exception text is read as the body it prints, with the status its lead names', async (t) => {
  const python = "openai.NotFoundError: Error code: 404 - {'error': {'code': 'DeploymentNotFound', 'message': 'The API deployment for this resource does not exist.'}}"
  const parsed = parseBody(python, 'text/plain')
  t.equal(parsed.format, 'json')
  t.equal(parsed.statusHint, 404)
  t.same(parsed.json, { error: { code: 'DeploymentNotFound', message: 'The API deployment for this resource does not exist.' } })

  const node = "RateLimitError: 429 Too Many Requests { error: { code: '429', message: 'Rate limit is exceeded.' } }"
  const inspected = parseBody(node, 'text/plain')
  t.equal(inspected.statusHint, 429)
  t.same(inspected.json, { error: { code: '429', message: 'Rate limit is exceeded.' } })

  const genai = parseBody("google.genai.errors.ClientError: 429 RESOURCE_EXHAUSTED. {'error': {'code': 429, 'status': 'RESOURCE_EXHAUSTED'}}", 'text/plain')
  t.same([genai.statusHint, genai.json], [429, { error: { code: 429, status: 'RESOURCE_EXHAUSTED' } }], 'a status name in capitals')

  t.equal(parseBody('took {1} seconds', 'text/plain').format, 'text', 'braces without a status lead are text')
  t.equal(parseBody('Error code: 200 - {"a": 1}', 'text/plain').format, 'text', 'only an error status leads a body')
  t.equal(parseBody('x'.repeat(300) + ' 500 - {"a": 1}', 'text/plain').format, 'text', 'the lead is short')
  t.equal(parseBody('Error code: 500 - {not a literal', 'text/plain').format, 'text')
})

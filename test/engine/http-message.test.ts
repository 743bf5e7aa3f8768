// Saved HTTP responses, as `curl -si` prints them.
import { test } from 'tap'
import { isHttpMessage, parseHttpMessage } from '../../src/engine/http-message.js'
import { HEADER_VALUE_LIMIT, MESSAGE_HEADER_LINES_LIMIT } from '../../src/engine/limits.js'

const body = '{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}'

test('a response with CRLF or LF line ends: status, headers by lowercased name, content type, body', async (t) => {
  for (const eol of ['\r\n', '\n']) {
    const text = ['HTTP/1.1 429 Too Many Requests', 'Content-Type: application/json', 'Retry-After: 20', 'X-Request-Id:  req_1 ', '', body].join(eol)
    t.ok(isHttpMessage(text))
    const saved = parseHttpMessage(text)
    t.same(saved, { status: 429, headers: { 'content-type': 'application/json', 'retry-after': '20', 'x-request-id': 'req_1' }, contentType: 'application/json', body }, JSON.stringify(eol))
  }
})

test('HTTP/2 and HTTP/3 status lines have no reason phrase; a body may hold blank lines', async (t) => {
  const saved = parseHttpMessage('HTTP/2 503 \r\nserver: envoy\r\n\r\nupstream connect error\r\n\r\nmore')
  t.match(saved, { status: 503, headers: { server: 'envoy' }, contentType: null, body: 'upstream connect error\r\n\r\nmore' })
  t.match(parseHttpMessage('HTTP/3 404\n\n'), { status: 404, body: '' })
  t.match(parseHttpMessage('HTTP/1.1 502 Bad Gateway\nserver: nginx'), { status: 502, headers: { server: 'nginx' }, body: '' }, 'a head with no body')
})

test('interim answers and a proxy\'s CONNECT answer come first: the last response is the one read', async (t) => {
  const text = 'HTTP/1.1 200 Connection established\r\n\r\nHTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 429 Too Many Requests\r\nretry-after: 5\r\n\r\n' + body
  t.match(parseHttpMessage(text), { status: 429, headers: { 'retry-after': '5' }, body })
})

test('repeated headers are joined; values are cut; lines that are no header, and lines past the limit, are ignored', async (t) => {
  const long = 'x'.repeat(HEADER_VALUE_LIMIT * 2)
  const text = ['HTTP/1.1 403 Forbidden', 'Vary: accept', 'vary: origin', `x-long: ${long}`, 'no colon here', ': no name', 'bad name: value', ' folded continuation', '', 'denied'].join('\r\n')
  const saved = parseHttpMessage(text)
  t.same(saved?.headers, { vary: 'accept, origin', 'x-long': long.slice(0, HEADER_VALUE_LIMIT) })
  t.equal(Object.getPrototypeOf(saved?.headers), null, 'a header name is data, never a prototype key')

  const many = ['HTTP/1.1 500 Internal Server Error', ...Array.from({ length: MESSAGE_HEADER_LINES_LIMIT + 10 }, (_, i) => `x-h${i}: ${i}`), '', 'oops'].join('\n')
  const bounded = parseHttpMessage(many)
  t.equal(Object.keys(bounded?.headers ?? {}).length, MESSAGE_HEADER_LINES_LIMIT, 'at most the limit of header lines is read')
  t.equal(bounded?.body, 'oops')
})

test('text that is not a response is not one', async (t) => {
  for (const text of ['', body, 'GET / HTTP/1.1\r\n\r\n', 'HTTP/1.1 abc\r\n\r\n', 'HTTP/1.1 999 Nope\r\n\r\n', 'http/1.1 429\r\n\r\n']) {
    t.notOk(isHttpMessage(text), JSON.stringify(text))
    t.equal(parseHttpMessage(text), null, JSON.stringify(text))
  }
  const endless = 'HTTP/1.1 100 Continue\r\n\r\n'.repeat(100)
  t.equal(parseHttpMessage(endless), null, 'a chain of heads with no final answer')
})

test('a hostile head (a megabyte of spaces in one header line) is read in one pass', async (t) => {
  const saved = parseHttpMessage(`HTTP/1.1 400 Bad Request\r\nx-pad: ${' '.repeat(1024 * 1024)}x\r\n\r\nbad`)
  t.match(saved, { status: 400, headers: { 'x-pad': 'x' }, body: 'bad' })
})

// Content negotiation: the format an Accept header asks for is kept per
// header value, and the kept answers are the ones Negotiator gives.
import { test } from 'tap'
import Negotiator from 'negotiator'
import { ACCEPT_MEMO_LIMIT, formatForAccept } from '../src/http.js'

function negotiated (accept: string): 'json' | 'text' {
  return new Negotiator({ headers: { accept } }).mediaType(['application/json', 'text/plain']) === 'text/plain' ? 'text' : 'json'
}

test('an Accept header gets the format Negotiator picks, the first time and every time after', async (t) => {
  const values = [
    '*/*', 'application/json', 'text/plain', 'text/*', 'application/json, text/plain, */*',
    'text/plain;q=0.9, application/json;q=0.5', 'application/json;q=0.1, text/plain', 'text/html', 'image/png, */*;q=0.1', ''
  ]
  for (const accept of values) {
    const expected = negotiated(accept)
    t.equal(formatForAccept(accept), expected, `${JSON.stringify(accept)}: ${expected}`)
    t.equal(formatForAccept(accept), expected, `${JSON.stringify(accept)} again`)
  }
  t.equal(formatForAccept('text/plain'), 'text', 'text/plain asks for text')
  t.equal(formatForAccept('*/*'), 'json', 'JSON when the client does not care')
})

test('past the memo limit, new Accept headers are still negotiated right', async (t) => {
  const many = Array.from({ length: ACCEPT_MEMO_LIMIT + 50 }, (_, i) => i % 2 === 0
    ? `text/plain;q=0.${i + 1}, application/json;q=0.0${(i % 9) + 1}`
    : `application/json;q=0.${i + 1}, text/plain;q=0.0${(i % 9) + 1}`)
  const wrong = many.filter((accept) => formatForAccept(accept) !== negotiated(accept))
  t.same(wrong, [], `${many.length} distinct values, each answered as Negotiator answers it`)
  t.same(many.slice(-10).map(formatForAccept), many.slice(-10).map(negotiated), 'and again, after the memo is full')
  t.ok(many.some((accept) => negotiated(accept) === 'text') && many.some((accept) => negotiated(accept) === 'json'), 'both formats are among them')
})

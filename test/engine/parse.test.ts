// JSON nested past any real error body's depth is read as text, never handed
// to JSON.parse, whose cost grows with the nesting.
import { test } from 'tap'
import { classify } from '../../src/engine/classify.js'
import { JSON_DEPTH_LIMIT } from '../../src/engine/limits.js'
import { jsonNestsDeeperThan, pageText, parseBody } from '../../src/engine/parse.js'
import { bundledCatalog } from '../helper.js'

const nested = (depth: number, open = '[', close = ']') => open.repeat(depth) + close.repeat(depth)

test('the depth scan counts objects and arrays, skips strings and their escapes', async (t) => {
  t.equal(jsonNestsDeeperThan(nested(64), 64), false, '64 levels are allowed')
  t.equal(jsonNestsDeeperThan(nested(65), 64), true, '65 are not')
  t.equal(jsonNestsDeeperThan('{"a":' + nested(65, '{"a":', '}') + '}', 64), true, 'objects count as arrays do')
  t.equal(jsonNestsDeeperThan(JSON.stringify({ error: '['.repeat(1000) }), 64), false, 'brackets inside a string are text')
  t.equal(jsonNestsDeeperThan(JSON.stringify({ error: '\\"' + '['.repeat(1000) }), 64), false, 'an escaped quote does not end the string')
  t.equal(jsonNestsDeeperThan('[' + '[]'.repeat(10_000) + ']', 64), false, 'many shallow arrays are shallow')
})

test('a body nested deeper than the limit is classified as text, in the route as in the engine', async (t) => {
  t.equal(JSON_DEPTH_LIMIT, 64)
  const deep = nested(100_000)
  t.equal(parseBody(deep, 'application/json').format, 'text')
  const shallow = parseBody(JSON.stringify({ error: { message: 'x' } }), 'application/json')
  t.equal(shallow.format, 'json')
  const catalog = await bundledCatalog()
  const result = classify({ status: 500, body: deep, contentType: 'application/json' }, catalog)
  t.same({ normalized_code: result.normalized_code, matched_by: result.matched_by, source: result.source }, { normalized_code: 'internal', matched_by: 'status', source: null })
  const objects = nested(100_000, '{"a":', '}')
  t.equal(classify({ status: 429, body: objects, contentType: 'application/json' }, catalog).normalized_code, 'rate_limited')
})

test('an XML error names its code by <Code>, else by a root element that holds a <Message>', async (t) => {
  t.same(parseBody('<?xml version="1.0"?><Error><Code>SlowDown</Code><Message>Reduce your rate.</Message><RequestId>r1</RequestId></Error>', 'application/xml').json,
    { code: 'SlowDown', message: 'Reduce your rate.', request_id: 'r1' })
  t.same(parseBody('<AccessDeniedException>\n  <Message>Denied</Message>\n</AccessDeniedException>', null).json,
    { code: 'AccessDeniedException', message: 'Denied' }, 'the root element names it')
  t.same(parseBody('<?xml version="1.0" encoding="UTF-8"?>\n<ThrottlingException><Message>Slow down</Message></ThrottlingException>', 'text/xml').json,
    { code: 'ThrottlingException', message: 'Slow down' }, 'after an XML declaration')
  t.not(parseBody('<Error><Message>Something failed</Message></Error>', 'application/xml').format, 'xml', 'a container root names no code')
  t.not(parseBody('<Thing><Name>x</Name></Thing>', 'application/xml').format, 'xml', 'a root without a Message names no code')
})

test('an HTML page\'s visible text leaves out tags, styles and scripts, within its bound', async (t) => {
  const page = '<html><head><title>Error</title><style>p{margin:0}</style><script>var wait = "retry in 1s"</script></head>' +
    '<body><p><b>502.</b> <ins>That&#39;s an error.</ins><p>Please try again in 30 seconds.</body></html>'
  t.equal(pageText(page), 'Error 502. That\'s an error. Please try again in 30 seconds.')
  t.equal(pageText('<p>' + 'word '.repeat(1000) + '</p>', 20), 'word word word word ')
  t.equal(pageText('<style>never closed ' + 'x'.repeat(10_000)), '', 'an unclosed style hides the rest')
  t.equal(pageText('text <unclosed tag'), 'text', 'an unclosed tag ends the text')
  t.equal(pageText('<STYLE>a{}</STYLE>Shown'), 'Shown', 'tag names in any case')
  t.equal(pageText('İ'.repeat(10) + '<script>"try again in 9 seconds"</script>Shown'), 'İ'.repeat(10) + ' Shown',
    'characters that lowercase to two units shift no offset: the script stays hidden')
})

test('an HTML title\'s character references are decoded: the named ones error pages use, and numeric ones', async (t) => {
  const title = (inner: string) => parseBody(`<html><title>${inner}</title></html>`, 'text/html').text
  t.equal(title('Rate limit &middot; GitHub'), 'Rate limit · GitHub')
  t.equal(title('That&#8217;s an error &#x2014; &amp; &quot;more&quot;'), 'That’s an error — & "more"')
  t.equal(title('&bogus; &constructor; &#0; &#xD800; &#x110000;'), '&bogus; &constructor; &#0; &#xD800; &#x110000;', 'unknown or invalid references stay as written')
})

test('a text sent as HTML without markup has its references decoded; plain text keeps them as written', async (t) => {
  const sentence = 'Permission &#39;storage.objects.get&#39; denied on resource (or it may not exist).'
  t.equal(parseBody(sentence, 'text/html; charset=UTF-8').text, "Permission 'storage.objects.get' denied on resource (or it may not exist).")
  t.equal(parseBody(sentence, 'text/plain').text, sentence)
})

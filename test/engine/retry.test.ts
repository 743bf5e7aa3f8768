// Every server-requested delay errcat reads, the one precedence among them,
// and what it does with a hint it cannot read. docs/retry.md is the prose.
import { test } from 'tap'
import { classify, type ClassifyInput } from '../../src/engine/classify.js'
import { describeDelay, parseDuration, parseHttpDate } from '../../src/engine/retry.js'
import { bundledCatalog } from '../helper.js'

const NOW = Date.parse('2026-12-02T12:00:00Z')

async function advice (input: ClassifyInput, maxRetryAfterS?: number) {
  const result = classify(input, await bundledCatalog(), { now: NOW, ...(maxRetryAfterS === undefined ? {} : { maxRetryAfterS }) })
  return { ...result.retry, evidence: result.evidence }
}

/** A 429 with no body a source claims, so only the hints decide. */
const tooMany = (headers: Record<string, string>, body: unknown = null): ClassifyInput => ({ status: 429, headers, body, contentType: body === null ? null : 'application/json' })

test('each hint alone gives its delay, and the evidence names it', async (t) => {
  const cases: Array<[string, ClassifyInput, number, RegExp]> = [
    ['retry-after-ms', tooMany({ 'retry-after-ms': '1500' }), 1500, /^retry-after-ms header 1500$/],
    ['x-ms-retry-after-ms', tooMany({ 'x-ms-retry-after-ms': '2500' }), 2500, /^x-ms-retry-after-ms header 2500$/],
    ['Retry-After delay-seconds', tooMany({ 'retry-after': '30' }), 30_000, /^Retry-After header 30$/],
    ['Retry-After IMF-fixdate', tooMany({ 'retry-after': 'Wed, 02 Dec 2026 12:00:45 GMT' }), 45_000, /^Retry-After header Wed, 02 Dec 2026/],
    ['Retry-After RFC 850 date', tooMany({ 'retry-after': 'Wednesday, 02-Dec-26 12:01:00 GMT' }), 60_000, /^Retry-After header Wednesday/],
    ['Retry-After asctime date', tooMany({ 'retry-after': 'Wed Dec  2 12:00:10 2026' }), 10_000, /^Retry-After header Wed Dec/],
    ['RateLimit t=', tooMany({ ratelimit: '"default";r=0;t=9' }), 9000, /^RateLimit header/],
    ['RateLimit-Reset', tooMany({ 'ratelimit-reset': '11' }), 11_000, /^RateLimit-Reset header 11$/],
    ['RetryInfo retryDelay', tooMany({}, { error: { code: 429, message: 'Quota exceeded.', status: 'RESOURCE_EXHAUSTED', details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '30s' }] } }), 30_000, /RetryInfo retryDelay 30s/],
    ['body retry_after', tooMany({}, { error: { message: 'Slow down', retry_after: 12 } }), 12_000, /^body error\.retry_after 12$/],
    ['message "try again in 1.146s"', tooMany({}, { error: { message: 'Rate limit reached for requests. Please try again in 1.146s.' } }), 1146, /^message "try again in 1\.146s"$/],
    ['message "retry in 26.5s"', tooMany({}, { error: { message: 'Too many requests. Please retry in 26.5s.' } }), 26_500, /^message "retry in 26\.5s"$/],
    ['message "try again in 6m0s"', tooMany({}, { error: { message: 'Rate limit reached. Please try again in 6m0s.' } }), 360_000, /^message "try again in 6m0s"$/],
    ['message "Retry after: 21 seconds."', tooMany({}, { type: '429 Too Many Requests', title: 'Too Many Requests', detail: 'You have exhausted your API Request Quota. Retry after: 21 seconds.' }), 21_000, /^message "Retry after: 21 seconds"$/],
    ["message \"try again after '10' seconds\"", tooMany({}, { error: { code: 'Throttled', message: "Number of 'read' requests exceeded. Please try again after '10' seconds." } }), 10_000, /^message "try again after '10' seconds"$/],
    ['message "retry after 1 hour"', tooMany({}, { error: { message: 'Hourly limit reached. Please retry after 1 hour.' } }), 3_600_000, /^message "retry after 1 hour"$/]
  ]
  for (const [name, input, delay, evidence] of cases) {
    const got = await advice(input, 3600)
    t.equal(got.delay_ms, delay, `${name}: ${delay} ms`)
    t.equal(got.strategy, 'retry_after', `${name}: the upstream's delay is the strategy`)
    t.ok(got.evidence.some((line) => evidence.test(line)), `${name}: evidence ${evidence}`)
    // The delay is in delay_ms; the reason says where it came from, for the text's Retry and Why lines not to repeat it.
    t.match(got.reason, /^rate_limited is retryable by the catalog's policy\. The wait is what the (.+) asks for\.$/, `${name}: the reason names where the delay came from`)
  }
})

test('one precedence: the ms headers, Retry-After, RateLimit, the body, the message', async (t) => {
  const every = {
    'retry-after-ms': '1500',
    'x-ms-retry-after-ms': '2500',
    'retry-after': '30',
    ratelimit: '"default";r=0;t=9',
    'ratelimit-reset': '11'
  }
  const body = { error: { message: 'Please try again in 3s.', retry_after: 12 } }
  const order: Array<[string, number]> = [['retry-after-ms', 1500], ['x-ms-retry-after-ms', 2500], ['retry-after', 30_000], ['ratelimit', 9000], ['ratelimit-reset', 11_000]]
  const headers: Record<string, string> = { ...every }
  for (const [name, delay] of order) {
    t.equal((await advice(tooMany(headers, body), 3600)).delay_ms, delay, `${name} wins over what follows it`)
    delete headers[name]
  }
  t.equal((await advice(tooMany(headers, body), 3600)).delay_ms, 12_000, 'the body\'s retry_after wins over the message')
  t.equal((await advice(tooMany(headers, { error: { message: 'Please try again in 3s.' } }), 3600)).delay_ms, 3000, 'the message comes last')
})

test('a RateLimit reset counts only for a limit used up, or, with no count beside it, when the answer says a limit was hit', async (t) => {
  // Kong and others send the RateLimit fields on every answer they pass through, failures included.
  const unavailable = (headers: Record<string, string>): ClassifyInput => ({ status: 503, headers, body: null, contentType: null })
  const cases: Array<[string, ClassifyInput, number | null]> = [
    ['a 503 with requests left: no delay', unavailable({ 'ratelimit-limit': '6', 'ratelimit-remaining': '4', 'ratelimit-reset': '47' }), null],
    ['a 503 with none left: its reset', unavailable({ 'ratelimit-remaining': '0', 'ratelimit-reset': '47' }), 47_000],
    ['a 503 with a reset and no count: no delay', unavailable({ 'ratelimit-reset': '47' }), null],
    ['a 429 with a reset and no count: its reset', tooMany({ 'ratelimit-reset': '47' }), 47_000],
    ['a 429 whose count is not spent: another limit was hit', tooMany({ 'ratelimit-remaining': '3', 'ratelimit-reset': '47' }), null],
    ['several limits: the used-up one', tooMany({ ratelimit: '"minute";r=5;t=40, "day";r=0;t=90' }), 90_000],
    ['several used up: the latest', tooMany({ ratelimit: '"burst";r=0;t=2, "minute";r=0;t=50' }), 50_000],
    ['none used up: no delay', unavailable({ ratelimit: '"default";r=10;t=30' }), null],
    ['an earlier draft\'s one header, used up', unavailable({ ratelimit: 'limit=100, remaining=0, reset=30' }), 30_000],
    ['an earlier draft\'s one header, with requests left', tooMany({ ratelimit: 'limit=100, remaining=20, reset=30' }), null]
  ]
  for (const [name, input, delay] of cases) t.equal((await advice(input, 3600)).delay_ms, delay, name)
})

test('Retry-After is RFC 9110\'s: anything else is ignored, said so, and never read as a date in the past', async (t) => {
  for (const value of ['Retry 5', 'x 5', '10 GMT', 'Jan 1', '-5', '1.5', '2026-12-02T12:00:30Z', 'Wed, 31 Feb 2026 12:00:00 GMT']) {
    const got = await advice(tooMany({ 'retry-after': value }))
    t.equal(got.delay_ms, null, `${JSON.stringify(value)}: no delay`)
    t.equal(got.strategy, 'exponential_backoff', `${JSON.stringify(value)}: the policy's own backoff`)
    t.match(got.reason, /Retry-After header ".*" is no delay errcat reads, so it was ignored/, `${JSON.stringify(value)}: the reason says it was ignored`)
  }
  t.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', NOW), Date.UTC(1994, 10, 6, 8, 49, 37), 'RFC 9110\'s IMF-fixdate example')
  t.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', NOW), Date.UTC(1994, 10, 6, 8, 49, 37), 'its RFC 850 example')
  t.equal(parseHttpDate('Sun Nov  6 08:49:37 1994', NOW), Date.UTC(1994, 10, 6, 8, 49, 37), 'its asctime example')
  t.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 UTC', NOW), null, 'GMT only')
  const past = await advice(tooMany({ 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' }))
  t.equal(past.delay_ms, 0, 'a real date in the past is no wait at all')
})

test('the cap: a delay over MAX_RETRY_AFTER_S, however many digits, is "do not retry, surface the error"', async (t) => {
  for (const value of ['7200', '9999999999999', '99999999999999999999999']) {
    const got = await advice(tooMany({ 'retry-after': value }), 3600)
    t.equal(got.retryable, false, `Retry-After ${value.length} digits: not retryable`)
    t.equal(got.strategy, 'none')
    t.match(got.reason, /longer than the 3600 s errcat treats as retryable: surface the error instead/)
  }
  const within = await advice(tooMany({ 'retry-after': '7200' }), 7200)
  t.equal(within.retryable, true, 'a delay within the cap is kept')
  t.equal(within.delay_ms, 7_200_000)
})

test('x-should-retry overrides the policy both ways, and quota, billing and cancelled are never retried', async (t) => {
  const no = await advice(tooMany({ 'retry-after': '5', 'x-should-retry': 'false' }))
  t.equal(no.retryable, false)
  t.match(no.reason, /x-should-retry: false/)
  const yes = await advice({ status: 400, headers: { 'x-should-retry': 'true' } })
  t.equal(yes.retryable, true, 'an upstream may ask for a retry the status would not get')
  t.match(yes.reason, /x-should-retry: true/)
  for (const status of [402, 499]) {
    const got = await advice({ status, headers: { 'retry-after': '5', 'x-should-retry': 'true' } })
    t.equal(got.retryable, false, `${status}: never retried, whatever the upstream says`)
  }
})

test('a delay hint on a response that is not retryable does not make it retryable', async (t) => {
  const got = await advice({ status: 400, headers: { 'retry-after': '5' } })
  t.equal(got.retryable, false)
  t.equal(got.delay_ms, 5000, 'the delay is still reported')
})

test('Go-style durations and people\'s delays', async (t) => {
  t.equal(parseDuration('1s'), 1000)
  t.equal(parseDuration('6m0s'), 360_000)
  t.equal(parseDuration('20ms'), 20)
  t.equal(parseDuration('1h2m3.5s'), 3_723_500)
  t.equal(parseDuration('1.5'), null, 'a unit is required')
  t.equal(parseDuration('s'), null)
  t.equal(describeDelay(250), '0.25 s')
  t.equal(describeDelay(1500), '1.5 s')
  t.equal(describeDelay(1146), '1.146 s')
  t.equal(describeDelay(30_000), '30 s')
  t.equal(describeDelay(750_000), '12.5 min')
  t.equal(describeDelay(86_400_000), '24 h')
})

test('a source\'s own should-retry header counts as x-should-retry does, once the source is known', async (t) => {
  const body = { error: { type: 'api_error', message: 'Something went wrong on our end.' } }
  const said = await advice({ status: 500, headers: { 'stripe-version': '2024-06-20', 'stripe-should-retry': 'false' }, body, contentType: 'application/json' })
  t.equal(said.retryable, false, 'Stripe-Should-Retry: false')
  t.match(said.reason, /stripe-should-retry: false/)
  const unsaid = await advice({ status: 500, headers: { 'stripe-version': '2024-06-20' }, body, contentType: 'application/json' })
  t.equal(unsaid.retryable, true, 'without it, a 500 is retried')
  const elsewhere = await advice({ status: 500, headers: { 'stripe-should-retry': 'false' } })
  t.equal(elsewhere.retryable, false, 'the header itself is Stripe\'s mark, so the source is known')
  const standard = await advice({ status: 500, headers: { 'stripe-version': '2024-06-20', 'stripe-should-retry': 'false', 'x-should-retry': 'true' }, body, contentType: 'application/json' })
  t.equal(standard.retryable, true, 'x-should-retry comes first')
})

test('a reset header means what its source says, and a past or unexhausted one says nothing', async (t) => {
  const now = NOW / 1000
  const github = { 'x-github-request-id': 'C0DE:1', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': String(now + 30) }
  const body = { message: 'API rate limit exceeded for 203.0.113.7.', documentation_url: 'https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting' }
  const used = await advice({ status: 403, headers: github, body, contentType: 'application/json' })
  t.equal(used.delay_ms, 30_000, 'GitHub\'s x-ratelimit-reset is a Unix time')
  t.ok(used.evidence.includes(`x-ratelimit-reset header ${now + 30}`))
  const left = await advice({ status: 403, headers: { ...github, 'x-ratelimit-remaining': '12' }, body, contentType: 'application/json' })
  t.equal(left.delay_ms, null, 'requests left: this limit is not the one hit')
  const past = await advice({ status: 403, headers: { ...github, 'x-ratelimit-reset': String(now - 5) }, body, contentType: 'application/json' })
  t.equal(past.delay_ms, null, 'a reset already past is no delay')
  const unknown = await advice(tooMany({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' }))
  t.equal(unknown.delay_ms, 360_000, 'with no source known, the sources that declare the header read it in their own format')
  // Envoy's rate-limit filter counts x-ratelimit-reset in seconds (rate_limit.proto), GitHub in Unix time.
  const envoy = { 'x-envoy-ratelimited': 'true', 'x-ratelimit-limit': '10', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '30' }
  t.equal((await advice(tooMany(envoy))).delay_ms, 30_000, 'Envoy\'s x-ratelimit-reset is seconds')
  const { 'x-envoy-ratelimited': _, ...unmarked } = envoy
  t.equal((await advice(tooMany(unmarked))).delay_ms, null, 'a header two sources read differently says nothing while the source is unknown')
  t.equal((await advice(tooMany({ ...unmarked, 'x-ratelimit-reset': String(now + 30) }))).delay_ms, null, 'nor is a Unix time read as a wait of decades')
})

test('Anthropic\'s reset timestamps on a 429, for the limit used up', async (t) => {
  const headers = {
    'request-id': 'req_011CSHoEeqs5C35K2UUqR7Fy',
    'anthropic-ratelimit-requests-remaining': '49',
    'anthropic-ratelimit-requests-reset': '2026-12-02T12:00:01Z',
    'anthropic-ratelimit-input-tokens-remaining': '0',
    'anthropic-ratelimit-input-tokens-reset': '2026-12-02T12:00:42Z'
  }
  const body = { type: 'error', error: { type: 'rate_limit_error', message: 'This request would exceed your organization\'s rate limit.' } }
  const got = await advice({ status: 429, headers, body, contentType: 'application/json' })
  t.equal(got.delay_ms, 42_000, 'the input-tokens limit, the one at 0, resets in 42 s')
  t.ok(got.evidence.includes('anthropic-ratelimit-input-tokens-reset header 2026-12-02T12:00:42Z'))
})

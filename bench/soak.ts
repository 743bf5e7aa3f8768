// `npm run soak`: 60 s of mixed traffic at 64 connections on loopback. Reports
// the error count (must be 0), p99, and RSS after warm-up and at the end
// (growth must stay under 10%). Stops by itself.
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import { ROUTES } from './cases.js'
import { startTarget } from './lib.js'

export interface SoakOptions { seconds: number, warmupSeconds: number, connections: number }
export interface SoakResult {
  requests: number
  errors: number
  non2xx: number
  p99_ms: number
  rss_start_mb: number
  rss_end_mb: number
  rss_growth: number
  pass: boolean
}

const mixed = Object.values(ROUTES).map((request) => ({
  method: request.method,
  path: request.path,
  headers: request.headers ?? {},
  ...(request.body === undefined ? {} : { body: request.body })
}))

async function traffic (port: number, seconds: number, connections: number): Promise<autocannon.Result> {
  return await autocannon({ url: `http://127.0.0.1:${port}`, connections, duration: seconds, requests: mixed })
}

export async function soak (options: SoakOptions): Promise<SoakResult> {
  const target = await startTarget('errcat')
  try {
    await traffic(target.port, options.warmupSeconds, options.connections)
    const rssStart = await target.rssBytes()
    const result = await traffic(target.port, options.seconds, options.connections)
    const rssEnd = await target.rssBytes()
    const growth = (rssEnd - rssStart) / rssStart
    const errors = result.errors + result.timeouts + result['5xx']
    return {
      requests: result.requests.total,
      errors,
      non2xx: result.non2xx,
      p99_ms: result.latency.p99,
      rss_start_mb: rssStart / 2 ** 20,
      rss_end_mb: rssEnd / 2 ** 20,
      rss_growth: growth,
      pass: errors === 0 && result.non2xx === 0 && growth < 0.1
    }
  } finally {
    await target.stop()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '60' },
      warmup: { type: 'string', default: '10' },
      connections: { type: 'string', default: '64' }
    }
  })
  const result = await soak({ seconds: Number(values.seconds), warmupSeconds: Number(values.warmup), connections: Number(values.connections) })
  process.stdout.write([
    `requests ${result.requests}, errors ${result.errors}, non-2xx ${result.non2xx}, p99 ${result.p99_ms} ms`,
    `RSS ${result.rss_start_mb.toFixed(1)} MB after warm-up, ${result.rss_end_mb.toFixed(1)} MB at the end (${(result.rss_growth * 100).toFixed(1)}%)`,
    result.pass ? 'soak: pass' : 'soak: FAIL'
  ].join('\n') + '\n')
  if (!result.pass) process.exitCode = 1
}

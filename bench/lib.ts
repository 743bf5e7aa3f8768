// Helpers the benchmark scripts share: start a target server in a child
// process, load it with autocannon, and summarise.
import { spawn, type ChildProcess } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem } from 'node:os'
import autocannon from 'autocannon'
import { median } from './timing.js'

/** Runs a sibling script the way this one runs: compiled .js, or .ts under tap's loader. */
export function siblingScript (name: string, from: string): string {
  const extension = from.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(`./${name}${extension}`, from))
}

export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=4']

export interface Target {
  port: number
  child: ChildProcess
  rssBytes: () => Promise<number>
  cpuSeconds: () => Promise<number>
  stop: () => Promise<void>
}

export async function startTarget (kind: 'errcat' | 'baseline', catalogDir?: string): Promise<Target> {
  const script = siblingScript('target', import.meta.url)
  // The flags `npm start` and the image run with, for both servers alike.
  const child = spawn(process.execPath, [...process.execArgv, ...SERVICE_NODE_FLAGS, script, kind, ...(catalogDir === undefined ? [] : [catalogDir])], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' }
  })
  const port = await new Promise<number>((resolve, reject) => {
    let output = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      output += String(chunk)
      const match = /LISTENING (\d+)/.exec(output)
      if (match !== null) resolve(Number(match[1]))
    })
    child.on('exit', (code) => reject(new Error(`target ${kind} exited (${code}) before listening`)))
  })
  return {
    port,
    child,
    rssBytes: async () => rssOf(child.pid as number),
    cpuSeconds: async () => cpuSecondsOf(child.pid as number),
    stop: async () => {
      const exited = new Promise((resolve) => child.on('exit', resolve))
      child.kill('SIGTERM')
      await exited
    }
  }
}

/** Resident set size of a process, from /proc (Linux). */
export async function rssOf (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  const match = /VmRSS:\s+(\d+) kB/.exec(status)
  return match === null ? 0 : Number(match[1]) * 1024
}

/** CPU time a process has used, user and system, all threads (Linux). */
export async function cpuSecondsOf (pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // /proc counts in USER_HZ ticks, 100 per second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100
}

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

export interface LoadResult {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  requests: number
  /** How long the load ran, in seconds. */
  seconds: number
}

export async function load (port: number, request: LoadRequest, seconds: number, connections: number): Promise<LoadResult> {
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${request.path}`,
    method: request.method,
    headers: request.headers ?? {},
    ...(request.body === undefined ? {} : { body: request.body }),
    connections,
    duration: seconds
  })
  return {
    // Requests over the time they took: autocannon's average is per whole second, and a slice can be shorter.
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total,
    seconds: result.duration
  }
}

/** Several loads of one server as one: requests over their total time, and the median of their latencies. */
export function combined (parts: readonly LoadResult[]): LoadResult {
  const requests = parts.reduce((sum, part) => sum + part.requests, 0)
  const seconds = parts.reduce((sum, part) => sum + part.seconds, 0)
  return {
    rps: seconds > 0 ? requests / seconds : 0,
    p50: median(parts.map((part) => part.p50)),
    p99: median(parts.map((part) => part.p99)),
    errors: parts.reduce((sum, part) => sum + part.errors, 0),
    non2xx: parts.reduce((sum, part) => sum + part.non2xx, 0),
    requests,
    seconds
  }
}

export function machine (): { cpu: string, cores: number, memory_gb: number, node: string, platform: string } {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memory_gb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    platform: `${process.platform} ${process.arch}`
  }
}

// Helpers the benchmark scripts share: start a target server in a child
// process, send it one request or load it with autocannon, and read its
// RSS and CPU time from /proc.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { request as httpRequest } from 'node:http'
import { fileURLToPath } from 'node:url'
import { cpus, totalmem } from 'node:os'
import autocannon from 'autocannon'

/** Runs a sibling script the way this one runs: compiled .js, or .ts under tap's loader. */
export function siblingScript (name: string, from: string): string {
  const extension = from.endsWith('.ts') ? '.ts' : '.js'
  return fileURLToPath(new URL(`./${name}${extension}`, from))
}

export interface LoadRequest {
  method: 'GET' | 'POST'
  path: string
  headers?: Record<string, string>
  body?: string
}

/** What a server answered to one request: what the floor must answer byte for byte. */
export interface Answer {
  method: string
  path: string
  status: number
  content_type: string
  body: string
}

export interface Target {
  port: number
  child: ChildProcess
  rssBytes: () => Promise<number>
  cpuSeconds: () => Promise<number>
  stop: () => Promise<void>
}

/** The CPUs this process may run on, from /proc (Linux): `0-1` or `0,2-3`. */
export function allowedCpus (): number[] {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0'
  return list.split(',').flatMap((range) => {
    const [first, last = first] = range.split('-').map(Number) as [number, number?]
    return Array.from({ length: (last as number) - first + 1 }, (_, i) => first + i)
  })
}

/** Restricts every thread of a process to the CPUs listed (`0` or `0,2`), with taskset. */
export function pinProcess (pid: number, cpus: string): void {
  execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' })
}

/**
 * `errcat [catalogDir]` runs errcat; `floor <answers.json>` runs the floor
 * app answering those answers. Plain `node`, no V8 flags: what `npm start`
 * runs; with `cpu`, started under taskset on that CPU alone.
 */
export async function startTarget (kind: 'errcat' | 'floor', argument?: string, cpu?: number): Promise<Target> {
  const script = siblingScript('target', import.meta.url)
  const node = [process.execPath, ...process.execArgv, script, kind, ...(argument === undefined ? [] : [argument])]
  // taskset sets the affinity and then execs node, so child.pid is node's.
  const command = cpu === undefined ? node : ['taskset', '-c', String(cpu), ...node]
  const child = spawn(command[0] as string, command.slice(1), {
    stdio: ['ignore', 'pipe', 'inherit'],
    // No load shedding: the floor has none, and a shed 503 is a cheaper answer
    // than the one being measured.
    env: { ...process.env, NODE_ENV: 'production', SHED_EVENT_LOOP_DELAY_MS: '0' }
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
      if (child.exitCode !== null || child.signalCode !== null) return
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

/**
 * One request, sent with node:http and only the route's own headers (plus
 * Host and Connection), as autocannon sends it: a client such as fetch
 * would add Accept and others, and errcat negotiates on Accept.
 */
export async function send (port: number, request: LoadRequest): Promise<Answer & { bytes: Buffer }> {
  return await new Promise((resolve, reject) => {
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: request.method, path: request.path, headers: request.headers ?? {} }, (response) => {
      const chunks: Buffer[] = []
      response.on('data', (chunk: Buffer) => chunks.push(chunk))
      response.on('error', reject)
      response.on('end', () => {
        const bytes = Buffer.concat(chunks)
        resolve({
          method: request.method,
          path: request.path,
          status: response.statusCode ?? 0,
          content_type: response.headers['content-type'] ?? '',
          body: bytes.toString('utf8'),
          bytes
        })
      })
    })
    outgoing.on('error', reject)
    outgoing.end(request.body)
  })
}

export interface LoadResult {
  rps: number
  p99: number
  errors: number
  non2xx: number
  requests: number
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
    rps: result.requests.total / result.duration,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    requests: result.requests.total
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

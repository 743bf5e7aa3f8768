// What the CLI reads besides the catalog: its streams, the environment, option
// values checked against the same bounds as the HTTP API, and the upstream body.
import { readFile, stat } from 'node:fs/promises'
import type { Readable } from 'node:stream'
import { NORMALIZED_CODES, type NormalizedCode } from '../catalog/schema.js'
import { BUNDLED_CATALOG_DIR } from '../catalog/paths.js'
import { BODY_LIMIT_BYTES } from '../engine/limits.js'

export interface Writer {
  write: (text: string) => unknown
}

export interface CliIo {
  /** The upstream body for classify without FILE: a stream, or the text itself. */
  stdin: Readable | string
  stdout: Writer
  stderr: Writer
  /** CATALOG_DIR, MAX_RETRY_AFTER_S and the service's config. process.env when absent. */
  env?: NodeJS.ProcessEnv
}

/** A mistake in the command line: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

/** --catalog, else $CATALOG_DIR, else the bundled catalog. */
export function catalogDirFor (explicit: string | undefined, env: NodeJS.ProcessEnv): string {
  if (explicit !== undefined) return explicit
  const fromEnv = env.CATALOG_DIR
  return fromEnv === undefined || fromEnv === '' ? BUNDLED_CATALOG_DIR : fromEnv
}

/** An integer option in [min, max], as the HTTP API's schema bounds it. */
export function integerOption (name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined
  const number = /^\d+$/.test(value) ? Number(value) : Number.NaN
  if (!(number >= min && number <= max)) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(value)})`)
  return number
}

export function normalizedCodeOption (value: string | undefined): NormalizedCode | undefined {
  if (value === undefined) return undefined
  const code = NORMALIZED_CODES.find((candidate) => candidate === value)
  if (code === undefined) throw new UsageError(`--normalized-code must be one of ${NORMALIZED_CODES.join(', ')} (got ${JSON.stringify(value)})`)
  return code
}

export interface HeaderLines {
  /** Every header given, by lowercased name; classify reads those it knows. */
  headers: Record<string, string>
  contentType: string | null
}

/** 'Retry-After: 30' lines: names in any case, with or without the x-upstream- prefix. */
export function headerLines (lines: readonly string[]): HeaderLines {
  const named: Record<string, string> = {}
  let contentType: string | null = null
  for (const line of lines) {
    const colon = line.indexOf(':')
    const name = line.slice(0, Math.max(colon, 0)).trim().toLowerCase()
    if (name === '') throw new UsageError(`--header must be 'NAME: VALUE' (got ${JSON.stringify(line)})`)
    const value = line.slice(colon + 1).trim()
    if (name === 'content-type' || name === 'x-upstream-content-type') contentType = value
    else named[name] = value
  }
  return { headers: named, contentType }
}

function tooLarge (): UsageError {
  return new UsageError(`the body is larger than ${BODY_LIMIT_BYTES / 1024 / 1024} MiB, the most errcat classifies`)
}

/** The upstream body from FILE, or from stdin for '-' or no FILE; at most 1 MiB, as the service takes. */
export async function readBody (file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined && file !== '-') {
    try {
      if ((await stat(file)).size > BODY_LIMIT_BYTES) throw tooLarge()
      return await readFile(file, 'utf8')
    } catch (error) {
      if (error instanceof UsageError) throw error
      throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
    }
  }
  const stdin = io.stdin
  if (typeof stdin === 'string') {
    if (Buffer.byteLength(stdin) > BODY_LIMIT_BYTES) throw tooLarge()
    return stdin
  }
  if ((stdin as Readable & { isTTY?: boolean }).isTTY === true) io.stderr.write('errcat: reading the upstream body from standard input; end it with Ctrl-D\n')
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stdin as AsyncIterable<Buffer | string>) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
    size += bytes.length
    if (size > BODY_LIMIT_BYTES) throw tooLarge()
    chunks.push(bytes)
  }
  return Buffer.concat(chunks).toString('utf8')
}

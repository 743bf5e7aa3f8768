// Fastify's log lines, replaced: one completion line per request, with the
// route template (never the raw URL a client typed), status and duration,
// plus what the route chose to record (a classification's outcome). One line
// carries every fact once: each line is a write the process pays for.
// No bodies and no headers are ever logged.
import { tracingChannel } from 'node:diagnostics_channel'
import { LogController, type FastifyBaseLogger, type FastifyReply, type FastifyRequest } from 'fastify'
import pino, { type Bindings, type ChildLoggerOptions } from 'pino'
import { needsEscape } from './json-text.js'

export const REQUEST_ID_LOG_LABEL = 'request_id'

declare module 'fastify' {
  interface FastifyRequest {
    /** Bounded facts a route adds to the request's completion line. */
    logFacts: Record<string, unknown> | null
  }
}

export class ErrcatLogController extends LogController {
  constructor () {
    super({ requestIdLogLabel: REQUEST_ID_LOG_LABEL })
  }

  override incomingRequest (): void {
    // One line per request is enough: the completion line says everything.
  }

  override routeNotFound (): void {
    // The completion line records the 404.
  }

  override requestCompleted (error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const log = request.log
    const route = request.routeOptions.url ?? '(no route)'
    const durationMs = Math.round(reply.elapsedTime * 100) / 100
    if ((error === null || error === undefined) && log instanceof RequestLogger &&
      log.writeCompletionLine(request.method, route, reply.statusCode, durationMs, request.logFacts)) return
    const line: Record<string, unknown> = {
      // The key is REQUEST_ID_LOG_LABEL's, in a literal: a line built by spreading objects measured twice as slow to log.
      request_id: log instanceof RequestLogger ? log.idForCompletionLine() : undefined,
      method: request.method,
      route,
      status: reply.statusCode,
      duration_ms: durationMs
    }
    if (request.logFacts !== null) Object.assign(line, request.logFacts)
    if (error === null || error === undefined) {
      writeLine(log, 'info', line, COMPLETED)
    } else {
      line.err = error
      writeLine(log, 'error', line, 'request failed')
    }
  }
}

/**
 * A fact with its JSON written once. A route that records one of a few
 * outcomes on every line (a classification's) saves a JSON.stringify per
 * line, 1% to 3% of a classification request's server CPU side by side
 * under load; a batch's list of them is joined from their JSON (5 µs instead
 * of 30 to 50 µs per 100 items). Whoever serializes one, pino included, gets
 * the same JSON through toJSON.
 */
export class SerializedFact {
  readonly json: string
  readonly #value: unknown

  private constructor (value: unknown, json: string) {
    this.#value = value
    this.json = json
  }

  /** A fact that never changes: a frozen copy of it, serialized now. */
  static fixed (value: Record<string, unknown>): SerializedFact {
    const copy = Object.freeze({ ...value })
    return new SerializedFact(copy, JSON.stringify(copy))
  }

  /** A list of facts, its JSON joined from theirs. */
  static list (facts: readonly SerializedFact[]): SerializedFact {
    return new SerializedFact(Object.freeze(facts.map((fact) => fact.#value)), '[' + facts.map((fact) => fact.json).join(',') + ']')
  }

  toJSON (): unknown {
    return this.#value
  }
}

type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace'
type AnyLogFn = (...args: unknown[]) => void

/**
 * The logger of one request. Fastify gives every request a pino child so that
 * its lines carry the request id, and pino's child() costs about 2 µs under
 * load (measured in the running service), as much as a lookup's own work.
 * Most requests write one line, the completion line: the parent writes it,
 * with the id as its first field, which is the JSON a child writes. The child
 * is made the first time the request writes any other line.
 */
export class RequestLogger implements FastifyBaseLogger {
  readonly #parent: FastifyBaseLogger
  readonly #bindings: Bindings
  #child: FastifyBaseLogger | null = null

  constructor (parent: FastifyBaseLogger, bindings: Bindings) {
    this.#parent = parent
    this.#bindings = bindings
  }

  get level (): string {
    return (this.#child ?? this.#parent).level
  }

  set level (level: string) {
    this.#logger().level = level
  }

  fatal (...args: unknown[]): void { this.#write('fatal', args) }
  error (...args: unknown[]): void { this.#write('error', args) }
  warn (...args: unknown[]): void { this.#write('warn', args) }
  info (...args: unknown[]): void { this.#write('info', args) }
  debug (...args: unknown[]): void { this.#write('debug', args) }
  trace (...args: unknown[]): void { this.#write('trace', args) }
  silent (): void {}

  child (bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#logger().child(bindings, options)
  }

  /**
   * The id to lead the completion line with: the request's own when the
   * parent writes it, none (pino then skips the key) when a child does, whose
   * lines carry the id already.
   */
  idForCompletionLine (): unknown {
    return this.#child === null ? this.#bindings[REQUEST_ID_LOG_LABEL] : undefined
  }

  /** The completion line, built with idForCompletionLine() first: the parent writes it, unless the request has its child. */
  completed (level: Level, line: Record<string, unknown>, message: string): void {
    (this.#child ?? this.#parent)[level](line, message)
  }

  /**
   * A successful request's completion line, written by the parent and joined
   * by hand (see completionLine). False, having written nothing, when pino
   * has to write it: the request has its child, or pino's output is not one
   * this reproduces.
   */
  writeCompletionLine (method: string, route: string, status: number, durationMs: number, facts: Record<string, unknown> | null): boolean {
    const requestId = this.#bindings[REQUEST_ID_LOG_LABEL] as unknown
    if (this.#child !== null || typeof requestId !== 'string') return false
    if (!formatsPlainly(this.#parent)) return false
    const parent = this.#parent as pino.Logger
    if (!parent.isLevelEnabled('info')) return true
    const line = completionLine(parent, requestId, method, route, status, durationMs, facts)
    if (line === null) return false
    ;(parent as unknown as PinoInternals)[streamSym].write(line)
    return true
  }

  #logger (): FastifyBaseLogger {
    this.#child ??= this.#parent.child(this.#bindings)
    return this.#child
  }

  #write (level: Level, args: unknown[]): void {
    (this.#logger()[level] as AnyLogFn)(...args)
  }
}

/** Fastify's childLoggerFactory. A route's own log level or serializers get a real child at once. */
export function requestLogger (logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return options.level === undefined && options.serializers === undefined ? new RequestLogger(logger, bindings) : logger.child(bindings, options)
}

function writeLine (log: FastifyBaseLogger, level: Level, line: Record<string, unknown>, message: string): void {
  if (log instanceof RequestLogger) log.completed(level, line, message)
  else log[level](line, message)
}

const {
  chindingsSym, endSym, errorKeySym, formattersSym, hooksSym, lsCacheSym, messageKeySym, mixinSym,
  needsMetadataGsym, nestedKeySym, serializersSym, streamSym, stringifiersSym, timeSym
} = pino.symbols
// pino has it, its types do not.
const msgPrefixSym = (pino.symbols as unknown as Record<string, symbol>).msgPrefixSym as symbol

/** The pino internals a line is made of, reached through pino.symbols, pino's API for integrations. */
type PinoInternals = Record<symbol, any>

/** The completion line's message, whoever writes it. */
const COMPLETED = 'request completed'
/** The keys the completion line writes itself, around a route's facts. */
const LINE_KEYS = [REQUEST_ID_LOG_LABEL, 'method', 'route', 'status', 'duration_ms', 'msg']
/** A fact's name that needs no escaping and is no array index (pino would write an index first). */
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
/** pino's tracing of each line it formats: a subscriber expects to see the completion line too. */
const pinoFormatting = tracingChannel('pino_asJson')

/** Loggers whose lines completionLine reproduces, decided once per logger. */
const plainLoggers = new WeakMap<object, boolean>()

/**
 * True when none of pino's options that change a line is in use: no log
 * formatter, mixin, hook, redaction, nesting, message prefix or key, nor a
 * serializer (the error key's included) for the line's own keys. A child
 * made without options formats its bindings as they are, whatever the
 * parent's bindings formatter.
 */
function formatsPlainly (logger: FastifyBaseLogger): boolean {
  let plain = plainLoggers.get(logger)
  if (plain === undefined) {
    const internals = logger as unknown as PinoInternals
    const serializers = internals[serializersSym] ?? {}
    plain = typeof (logger as Partial<pino.Logger>).isLevelEnabled === 'function' && internals[lsCacheSym] !== undefined &&
      internals[formattersSym]?.log === undefined &&
      internals[mixinSym] == null &&
      internals[hooksSym]?.streamWrite === undefined &&
      internals[hooksSym]?.logMethod === undefined &&
      internals[nestedKeySym] == null &&
      (internals[msgPrefixSym] ?? '') === '' &&
      internals[messageKeySym] === 'msg' &&
      Reflect.ownKeys(internals[stringifiersSym] ?? {}).length === 0 &&
      internals[streamSym]?.[needsMetadataGsym] !== true &&
      LINE_KEYS.every((key) => serializers[key] === undefined && key !== internals[errorKeySym])
    plainLoggers.set(logger, plain)
  }
  return plain
}

/**
 * The completion line exactly as pino writes it for a child bound to the
 * request id, or null when pino has to write it. pino's generic formatting
 * (each key looked up among serializers and redactions, each string scanned)
 * cost about 4 µs a line under load, measured in the running service,
 * against a line whose keys are fixed and whose values are plain. A test
 * holds the two byte for byte.
 */
function completionLine (logger: pino.Logger, requestId: string, method: string, route: string, status: number, durationMs: number, facts: Record<string, unknown> | null): string | null {
  // hasSubscribers is undefined before Node 20.13: then nobody can be sure, and pino writes.
  if (pinoFormatting.hasSubscribers !== false) return null
  // A string pino would escape, or write differently from JSON.stringify (a lone surrogate), is pino's to write.
  if (needsEscape(requestId) || needsEscape(method) || needsEscape(route)) return null
  const internals = logger as unknown as PinoInternals
  let line = internals[lsCacheSym][logger.levels.values.info as number] + internals[timeSym]() + internals[chindingsSym] +
    ',"request_id":"' + requestId +
    '","method":"' + method +
    '","route":"' + route +
    '","status":' + String(status) +
    ',"duration_ms":' + (Number.isFinite(durationMs) ? String(durationMs) : 'null')
  if (facts !== null) {
    const serializers = internals[serializersSym]
    for (const key in facts) {
      const value = facts[key]
      if (!Object.hasOwn(facts, key) || value === undefined) continue
      // Only an object or a list under a plain name of its own: pino's rules for anything else.
      if (typeof value !== 'object' || !PLAIN_KEY.test(key) || LINE_KEYS.includes(key) ||
        key === internals[errorKeySym] || serializers[key] !== undefined) return null
      let json: string | undefined
      if (value instanceof SerializedFact) {
        json = value.json
      } else {
        try {
          json = JSON.stringify(value)
        } catch {
          return null // circular or a BigInt: pino's safe stringify
        }
      }
      if (json !== undefined) line += ',"' + key + '":' + json
    }
  }
  return line + ',"msg":"' + COMPLETED + '"' + internals[endSym]
}

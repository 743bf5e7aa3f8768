// The CLI's commands: the engine and the text renderers the HTTP routes use,
// with command-line options instead of a request. Each returns its exit code.
import { parseArgs, type ParseArgsConfig } from 'node:util'
import { loadCatalog } from '../catalog/load.js'
import type { Catalog } from '../catalog/types.js'
import { classify } from '../engine/classify.js'
import { isHttpMessage, parseHttpMessage } from '../engine/http-message.js'
import { lookup, search, unknownCode } from '../engine/lookup.js'
import {
  CODE_LENGTH_LIMIT, DEFAULT_SEARCH_LIMIT, QUERY_LENGTH_LIMIT, SEARCH_OFFSET_LIMIT, SEARCH_PAGE_LIMIT
} from '../engine/limits.js'
import { EngineSettings, readSettings } from '../engine/settings.js'
import { renderClassification, renderLookup, renderProblem, renderSearch } from '../engine/text.js'
import { PROBLEMS, problemType } from '../http/problems.js'
import { EXIT, USAGE } from './help.js'
import {
  catalogDirFor, headerLines, integerOption, normalizedCodeOption, readBody, UsageError, type CliIo
} from './options.js'

type Options = NonNullable<ParseArgsConfig['options']>

const common = {
  help: { type: 'boolean', short: 'h' },
  catalog: { type: 'string' },
  json: { type: 'boolean' },
  source: { type: 'string' }
} as const satisfies Options

/** parseArgs, strict: an unknown option or a missing value throws. */
function parse<T extends Options> (args: readonly string[], options: T, positionals: { min: number, max: number, names: string }) {
  const parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true })
  if ((parsed.values as { help?: boolean }).help === true) return parsed
  const count = parsed.positionals.length
  if (count < positionals.min) throw new UsageError(`missing ${positionals.names}`)
  if (count > positionals.max) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[positionals.max])}`)
  return parsed
}

function envOf (io: CliIo): NodeJS.ProcessEnv {
  return io.env ?? process.env
}

async function catalogFor (dir: string | undefined, io: CliIo): Promise<Catalog> {
  return await loadCatalog(catalogDirFor(dir, envOf(io)))
}

function print (io: CliIo, json: boolean | undefined, value: unknown, text: () => string): void {
  // Compact, as the service serializes it: the same bytes as the HTTP body.
  io.stdout.write(json === true ? JSON.stringify(value) + '\n' : text())
}

/** The service's text for a problem, less its Request id line: a local run answers no request. */
function renderLocalProblem (problem: { title: string, detail: string, suggestions?: string[] }): string {
  return renderProblem({ ...problem, request_id: '' })
}

export async function lookupCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, common, { min: 1, max: 1, names: 'CODE' })
  if (values.help === true) return help(io)
  const code = positionals[0] as string
  if (code === '') throw new UsageError('CODE must not be empty')
  if (code.length > CODE_LENGTH_LIMIT) throw new UsageError(`CODE is longer than ${CODE_LENGTH_LIMIT} characters`)
  const catalog = await catalogFor(values.catalog, io)
  const { source } = values
  const result = lookup(code, catalog, { source })
  if (result.matches.length === 0) {
    // GET /codes/:code's 404 problem, without the request-specific instance and request_id.
    const { detail, suggestions } = unknownCode(code, catalog, { source })
    const unknown = PROBLEMS.unknownCode
    const problem = { type: problemType(unknown), title: unknown.title, status: unknown.status, detail, suggestions }
    print(io, values.json, problem, () => renderLocalProblem(problem))
    return EXIT.NOT_FOUND
  }
  print(io, values.json, result, () => renderLookup(result))
  return EXIT.OK
}

export async function classifyCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    status: { type: 'string' },
    header: { type: 'string', multiple: true },
    'content-type': { type: 'string' }
  }, { min: 0, max: 1, names: 'FILE' })
  if (values.help === true) return help(io)
  const status = integerOption('status', values.status, 100, 599) ?? null
  const upstream = headerLines(values.header ?? [])
  const { MAX_RETRY_AFTER_S: maxRetryAfterS } = readSettings(EngineSettings, envOf(io))
  const catalog = await catalogFor(values.catalog, io)
  const body = await readBody(positionals[0], io)
  // A whole response, as `curl -si` prints it, gives its status and headers too; the options still win.
  const saved = isHttpMessage(body) ? parseHttpMessage(body) : null
  const result = classify({
    body: saved?.body ?? body,
    contentType: values['content-type'] ?? upstream.contentType ?? saved?.contentType ?? null,
    status: status ?? saved?.status ?? null,
    headers: { ...saved?.headers, ...upstream.headers },
    source: values.source ?? null
  }, catalog, { maxRetryAfterS })
  print(io, values.json, result, () => renderClassification(result))
  return EXIT.OK
}

export async function searchCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, {
    ...common,
    'normalized-code': { type: 'string' },
    limit: { type: 'string' },
    offset: { type: 'string' }
  }, { min: 0, max: Infinity, names: 'QUERY' })
  if (values.help === true) return help(io)
  const q = positionals.join(' ')
  if (q.length > QUERY_LENGTH_LIMIT) throw new UsageError(`QUERY is longer than ${QUERY_LENGTH_LIMIT} characters`)
  const query = {
    q: q === '' ? undefined : q,
    source: values.source,
    normalized_code: normalizedCodeOption(values['normalized-code']),
    limit: integerOption('limit', values.limit, 1, SEARCH_PAGE_LIMIT) ?? DEFAULT_SEARCH_LIMIT,
    offset: integerOption('offset', values.offset, 0, SEARCH_OFFSET_LIMIT) ?? 0
  }
  const catalog = await catalogFor(values.catalog, io)
  const result = search(catalog, query)
  print(io, values.json, result, () => renderSearch(result.items, result.total, query.offset))
  return result.total === 0 ? EXIT.NOT_FOUND : EXIT.OK
}

export async function checkCatalogCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parse(args, { help: common.help }, { min: 0, max: 1, names: 'DIR' })
  if (values.help === true) return help(io)
  const catalog = await catalogFor(positionals[0], io)
  const counts = catalog.sourceIds.map((id) => `${id} ${catalog.sources.get(id)?.entries.length ?? 0}`)
  io.stdout.write(`catalog ${catalog.dir} is valid: version ${catalog.version}; entries: ${counts.join(', ')}\n`)
  return EXIT.OK
}

export async function serveCommand (args: readonly string[], io: CliIo): Promise<number> {
  const { values } = parse(args, { help: common.help, catalog: common.catalog }, { min: 0, max: 0, names: '' })
  if (values.help === true) return help(io)
  const env = envOf(io)
  // Fastify loads only for serve: the other commands start faster without it.
  const { startService } = await import('../ops/serve.js')
  // Without --catalog or CATALOG_DIR, the bundled catalog: `npx errcat serve` runs anywhere.
  await startService({ env, catalogDir: catalogDirFor(values.catalog, env) })
  return EXIT.OK
}

export function help (io: CliIo): number {
  io.stdout.write(USAGE)
  return EXIT.OK
}

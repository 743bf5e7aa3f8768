// Reads the catalog directory, validates every file against the TypeBox
// schemas, and builds the immutable indexes. A broken catalog throws one
// CatalogError naming the file, the entry and the field.
import { createHash } from 'node:crypto'
import { readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { Value, type ValueError } from '@sinclair/typebox/value'
import type { TSchema } from '@sinclair/typebox'
import { TypeCompiler, type TypeCheck } from '@sinclair/typebox/compiler'
import { parse as parseYaml, YAMLParseError } from 'yaml'
import {
  NORMALIZED_CODES, SourceFile, TaxonomyFile,
  type ConditionFile, type EntryFile, type FingerprintFile, type MessageHint, type NormalizedCode, type RetryPolicy, type TaxonomyCodeFile
} from './schema.js'
import { buildPatternRule } from './patterns.js'
import { parseTemplate, sampleOf, TemplateIndex, TemplateSyntaxError, type CompiledTemplate } from './templates.js'
import type { Catalog, Condition, Entry, EntryKind, Fingerprint, RateLimitReset, SourceIndex, TaxonomyCode } from './types.js'

export const TAXONOMY_FILE = 'taxonomy.yaml'
/** People edit YAML. A generated catalog may be JSON instead, which parses far faster when it is large. */
export const SOURCE_EXTENSIONS = ['.yaml', '.json'] as const

// Compiled once: checking a large catalog with the compiled checker is many
// times faster than interpreting the schema; the slower, detailed error walk
// runs only for a file that fails.
const checkers = new Map<TSchema, TypeCheck<TSchema>>()
function checkerFor (schema: TSchema): TypeCheck<TSchema> {
  let checker = checkers.get(schema)
  if (checker === undefined) {
    checker = TypeCompiler.Compile(schema)
    checkers.set(schema, checker)
  }
  return checker
}

export class CatalogError extends Error {
  override name = 'CatalogError'
  constructor (readonly file: string, readonly entry: string | null, readonly field: string | null, readonly problem: string) {
    super([file, entry, field === null ? null : `field "${field}"`].filter((part) => part !== null).join(': ') + `: ${problem}`)
  }
}

export interface CatalogFile {
  name: string
  text: string
  /** SHA-256 of the file's bytes (hex), when the reader computed it; else it is computed from the text. */
  sha256?: string
}

/**
 * The largest catalog file read by default: a hundred times the largest
 * bundled file. A larger one is refused rather than parsed, since its parse
 * alone would take seconds; CATALOG_FILE_LIMIT_BYTES raises the bound.
 */
export const DEFAULT_CATALOG_FILE_LIMIT_BYTES = 16 * 1024 * 1024

export interface ReadOptions {
  /** The largest file read; a larger one is refused. */
  maxFileBytes?: number
}

/**
 * A catalog file's bytes. Anything but a regular file (or a link to one, as a
 * Kubernetes ConfigMap mounts them) is refused: reading a FIFO would wait for
 * a writer forever, holding a thread of the pool and the reload with it.
 */
async function readRegularFile (path: string, maxBytes: number): Promise<Buffer> {
  try {
    const stats = await stat(path)
    if (!stats.isFile()) throw new CatalogError(path, null, null, 'is not a regular file')
    if (stats.size > maxBytes) throw tooLarge(path, maxBytes)
    const bytes = await readFile(path)
    // The file may have grown since stat.
    if (bytes.length > maxBytes) throw tooLarge(path, maxBytes)
    return bytes
  } catch (error) {
    if (error instanceof CatalogError) throw error
    throw new CatalogError(path, null, null, `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
}

function tooLarge (path: string, maxBytes: number): CatalogError {
  return new CatalogError(path, null, null, `is larger than ${maxBytes} bytes; set CATALOG_FILE_LIMIT_BYTES to allow it`)
}

/** Every catalog file in `dir` (*.yaml, *.json), in name order, with its bytes' SHA-256. */
export async function readCatalogFiles (dir: string, options: ReadOptions = {}): Promise<CatalogFile[]> {
  const absolute = resolve(dir)
  const maxBytes = options.maxFileBytes ?? DEFAULT_CATALOG_FILE_LIMIT_BYTES
  let names: string[]
  try {
    names = (await readdir(absolute)).filter((name) => SOURCE_EXTENSIONS.some((extension) => name.endsWith(extension))).sort()
  } catch (error) {
    throw new CatalogError(absolute, null, null, `cannot read the catalog directory (${(error as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const read = await Promise.all(names.map(async (name) => ({ name, bytes: await readRegularFile(join(absolute, name), maxBytes) })))
  return read.map(({ name, bytes }) => ({
    name,
    // The version stands for the bytes. A synchronous hash, not WebCrypto's:
    // WebCrypto copies its input first, which costs more than hashing it.
    sha256: createHash('sha256').update(bytes).digest('hex'),
    // Decoded when it is parsed, one file at a time, so that a large catalog
    // never holds every file's text in the heap at once.
    get text () { return bytes.toString('utf8') }
  }))
}

/**
 * A catalog's files parsed and checked against the schemas, not yet indexed:
 * plain data, which a worker thread can hand to the thread that indexes it.
 */
export interface ParsedCatalog {
  dir: string
  taxonomy: TaxonomyFile
  sources: Array<{ name: string, spec: SourceFile }>
  /** Each file's name and SHA-256, for the version. */
  digests: Array<{ name: string, sha256: string }>
}

/** Parses and validates catalog files against the schemas. Pure: no file access. */
export function parseCatalogFiles (files: readonly CatalogFile[], dir: string): ParsedCatalog {
  const taxonomyFile = files.find((file) => file.name === TAXONOMY_FILE)
  if (taxonomyFile === undefined) throw new CatalogError(join(dir, TAXONOMY_FILE), null, null, 'the taxonomy file is missing')
  const sourceFiles = files.filter((file) => file.name !== TAXONOMY_FILE)
  if (sourceFiles.length === 0) throw new CatalogError(dir, null, null, 'no source files (*.yaml or *.json) besides the taxonomy')
  return {
    dir,
    taxonomy: validated(TaxonomyFile, taxonomyFile, dir),
    sources: sourceFiles.map((file) => ({ name: file.name, spec: validated(SourceFile, file, dir) })),
    digests: files.map((file) => ({ name: file.name, sha256: file.sha256 ?? createHash('sha256').update(file.text).digest('hex') }))
  }
}

/** Reads and validates every catalog file in `dir`, and builds the indexes. */
export async function loadCatalog (dir: string, options: ReadOptions = {}): Promise<Catalog> {
  const absolute = resolve(dir)
  return indexCatalog(parseCatalogFiles(await readCatalogFiles(absolute, options), absolute))
}

/** Validates catalog files and builds the indexes. Pure: no file access. */
export function buildCatalog (files: readonly CatalogFile[], dir: string): Catalog {
  return indexCatalog(parseCatalogFiles(files, dir))
}

/** Builds the indexes of a parsed catalog, checking what the schemas cannot (duplicates, overlaps, references). */
export function indexCatalog (parsed: ParsedCatalog): Catalog {
  const { dir } = parsed
  const taxonomy = buildTaxonomy(parsed.taxonomy, join(dir, TAXONOMY_FILE))
  const policies = defaultPolicies(taxonomy)
  const sources = new Map<string, SourceIndex>()
  const allEntries: Entry[] = []
  const fingerprints: Fingerprint[] = []
  const byLowerName = new Map<string, Entry[]>()
  for (const { name, spec } of parsed.sources) {
    const path = join(dir, name)
    if (name !== `${spec.id}.yaml` && name !== `${spec.id}.json`) {
      throw new CatalogError(path, null, 'id', `the file of source "${spec.id}" must be named ${spec.id}.yaml (or ${spec.id}.json)`)
    }
    if (sources.has(spec.id)) throw new CatalogError(path, null, 'id', `source "${spec.id}" is defined by two files`)
    const index = buildSource(spec, path, taxonomy, policies)
    sources.set(spec.id, index)
    for (const entry of index.entries) allEntries.push(entry)
    for (const [name, entries] of namedIn(index)) push(byLowerName, name, ...entries)
    spec.fingerprints?.forEach((item, i) => fingerprints.push(buildFingerprint(spec.id, item, path, `fingerprints[${i}]`)))
  }
  // Marks first, then shapes, then transit marks, then generic layouts.
  fingerprints.sort((a, b) => STRENGTH_ORDER[a.strength] - STRENGTH_ORDER[b.strength])
  const headerNames = new Set<string>()
  for (const fingerprint of fingerprints) {
    for (const condition of [...fingerprint.all, ...fingerprint.any]) if ('header' in condition) headerNames.add(condition.header)
  }
  const rateLimitResets: RateLimitReset[] = []
  const codeHeaders = new Set<string>()
  const requestIdHeaders = new Set<string>()
  const resetFormats = new Map<string, Set<RateLimitReset['format']>>()
  for (const index of sources.values()) {
    for (const name of index.codeHeaders) codeHeaders.add(name)
    for (const name of index.requestIdHeaders) requestIdHeaders.add(name)
    for (const name of [...index.codeHeaders, ...index.requestIdHeaders, ...index.shouldRetryHeaders]) headerNames.add(name)
    for (const reset of index.rateLimitResets) {
      rateLimitResets.push(reset)
      headerNames.add(reset.header)
      if (reset.remaining !== undefined) headerNames.add(reset.remaining)
      resetFormats.set(reset.header, (resetFormats.get(reset.header) ?? new Set()).add(reset.format))
    }
  }
  // A reset header two sources read differently (x-ratelimit-reset: a Unix time at one, seconds at another)
  // says nothing until the source is known.
  const unambiguousResets = rateLimitResets.filter((reset) => resetFormats.get(reset.header)?.size === 1)

  let searchText: readonly string[] | undefined
  const hash = createHash('sha256')
  for (const file of [...parsed.digests].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(file.name).update('\0').update(file.sha256).update('\0')
  }

  return Object.freeze({
    version: hash.digest('hex').slice(0, 16),
    loadedAt: new Date().toISOString(),
    dir,
    sourceIds: Object.freeze([...sources.keys()]),
    sources,
    sourceList: Object.freeze([...sources.values()]),
    fingerprints: Object.freeze(fingerprints),
    headerNames: Object.freeze(headerNames),
    rateLimitResets: Object.freeze(unambiguousResets),
    codeHeaders: Object.freeze([...codeHeaders]),
    requestIdHeaders: Object.freeze([...requestIdHeaders]),
    taxonomy,
    commonCodes: Object.freeze(new Set([...taxonomy.keys(), ...parsed.taxonomy.common_codes ?? []])),
    byLowerName: freezeLists(byLowerName),
    allEntries: Object.freeze(allEntries),
    // Built on the first search, not at boot: a large catalog boots faster, and most never search.
    get searchText () {
      searchText ??= Object.freeze(allEntries.map((entry) =>
        [entry.code, entry.title, entry.description, entry.message ?? '', entry.template ?? ''].join('\n').toLowerCase()))
      return searchText
    }
  })
}

/**
 * What each lowercased name means in one source: its codes of that name in
 * any case, or else its type rules and status rules of that name.
 */
function namedIn (index: SourceIndex): Map<string, Entry[]> {
  const named = new Map<string, Entry[]>()
  for (const [name, entries] of index.byLowerCode) named.set(name, [...entries])
  const rules = [...[...index.byLowerType.values()].flat(), ...index.byStatus.values()]
  for (const rule of rules) {
    const name = rule.code.toLowerCase()
    if (!index.byLowerCode.has(name)) push(named, name, rule)
  }
  return named
}

function validated<T extends TSchema> (schema: T, file: CatalogFile, dir: string): ReturnType<typeof Value.Decode<T>> {
  const path = join(dir, file.name)
  let data: unknown
  try {
    data = file.name.endsWith('.json') ? JSON.parse(file.text) : parseYaml(file.text, { prettyErrors: true, uniqueKeys: true })
  } catch (error) {
    if (error instanceof YAMLParseError) throw new CatalogError(path, null, null, `not valid YAML: ${error.message.split('\n')[0] ?? ''}`)
    if (error instanceof SyntaxError) throw new CatalogError(path, null, null, `not valid JSON: ${error.message}`)
    throw error
  }
  if (!checkerFor(schema).Check(data)) {
    const error = Value.Errors(schema, data).First()
    if (error !== undefined) throw errorAt(path, data, error)
  }
  return data as ReturnType<typeof Value.Decode<T>>
}

/** Turns a schema error at /entries/3/retry/strategy into file, entry and field. */
function errorAt (path: string, data: unknown, error: ValueError): CatalogError {
  const segments = error.path.split('/').slice(1)
  let entry: string | null = null
  let fieldStart = 0
  if (segments.length >= 2 && /^\d+$/.test(segments[1] as string)) {
    const list = (data as Record<string, unknown[]>)[segments[0] as string]
    const item = list?.[Number(segments[1])] as Record<string, unknown> | undefined
    const name = item?.code ?? item?.type
    entry = `${segments[0]}[${segments[1]}]` + (typeof name === 'string' ? ` (${JSON.stringify(name)})` : '')
    fieldStart = 2
  }
  const field = segments.slice(fieldStart).join('.') || null
  return new CatalogError(path, entry, field, describeError(error))
}

function describeError (error: ValueError): string {
  const options = error.schema.enum as unknown[] | undefined
  if (options !== undefined && error.value !== undefined) {
    return `must be one of ${options.join(', ')} (got ${JSON.stringify(error.value)})`
  }
  if (error.value === undefined) return 'is required'
  return `${error.message.toLowerCase()} (got ${JSON.stringify(error.value)?.slice(0, 80)})`
}

function buildTaxonomy (spec: TaxonomyFile, path: string): Map<NormalizedCode, TaxonomyCode> {
  const taxonomy = new Map<NormalizedCode, TaxonomyCode>()
  spec.codes.forEach((code: TaxonomyCodeFile, i) => {
    if (taxonomy.has(code.code)) throw new CatalogError(path, `codes[${i}] (${JSON.stringify(code.code)})`, 'code', 'appears twice')
    checkRetryConsistent(code.retry, path, () => `codes[${i}] (${JSON.stringify(code.code)})`)
    taxonomy.set(code.code, deepFreeze(structuredClone(code)))
  })
  const missing = NORMALIZED_CODES.filter((code) => !taxonomy.has(code))
  if (missing.length > 0) throw new CatalogError(path, null, 'codes', `must define every normalized code; missing ${missing.join(', ')}`)
  return taxonomy
}

type EntryLike = Omit<EntryFile, 'code'> & { code?: string, type?: string }

const STRENGTH_ORDER: Record<Fingerprint['strength'], number> = { mark: 0, shape: 1, transit: 2, generic: 3 }
const SUBJECTS = ['path', 'header', 'body_contains', 'sse_event', 'status_in', 'body_format_in'] as const
const VALUE_TESTS = ['is', 'is_not', 'present', 'equals', 'contains', 'starts_with'] as const

function buildCondition (item: ConditionFile, path: string, where: string): Condition {
  const subjects = SUBJECTS.filter((subject) => item[subject] !== undefined)
  const tests = VALUE_TESTS.filter((test) => item[test] !== undefined)
  if (subjects.length !== 1) throw new CatalogError(path, where, 'path', `a condition names exactly one of ${SUBJECTS.join(', ')}`)
  if (item.body_contains !== undefined || item.sse_event !== undefined || item.status_in !== undefined || item.body_format_in !== undefined) {
    const field = subjects[0] as string
    if (tests.length > 0) throw new CatalogError(path, where, field, `a ${field} condition takes no other test`)
    if (item.body_contains !== undefined) return Object.freeze({ test: 'body_contains', text: item.body_contains })
    if (item.sse_event !== undefined) return Object.freeze({ test: 'sse_event', event: item.sse_event })
    if (item.body_format_in !== undefined) return Object.freeze({ test: 'body_format_in', formats: Object.freeze([...item.body_format_in]) })
    return Object.freeze({ test: 'status_in', statuses: Object.freeze([...item.status_in as number[]]) })
  }
  const field = subjects[0] as 'path' | 'header'
  if (tests.length !== 1) throw new CatalogError(path, where, field, `a condition sets exactly one of ${VALUE_TESTS.join(', ')}`)
  const subject = item.path !== undefined ? { path: Object.freeze(item.path.split('.')) } : { header: item.header as string }
  // Header values are compared ignoring case.
  const text = (value: string): string => (item.header !== undefined ? value.toLowerCase() : value)
  if (item.is !== undefined) return Object.freeze({ ...subject, test: 'is', kind: item.is })
  if (item.is_not !== undefined) return Object.freeze({ ...subject, test: 'is_not', kind: item.is_not })
  if (item.present !== undefined) return Object.freeze({ ...subject, test: 'present', present: item.present })
  if (item.equals !== undefined) return Object.freeze({ ...subject, test: 'equals', value: typeof item.equals === 'string' ? text(item.equals) : item.equals })
  if (item.contains !== undefined) return Object.freeze({ ...subject, test: 'contains', text: text(item.contains) })
  return Object.freeze({ ...subject, test: 'starts_with', text: text(item.starts_with as string) })
}

function buildFingerprint (source: string, item: FingerprintFile, path: string, where: string): Fingerprint {
  return Object.freeze({
    source,
    evidence: item.evidence,
    strength: item.strength ?? 'shape',
    service: item.service ?? false,
    all: Object.freeze(item.all.map((condition, i) => buildCondition(condition, path, `${where}.all[${i}]`))),
    any: Object.freeze((item.any ?? []).map((condition, i) => buildCondition(condition, path, `${where}.any[${i}]`)))
  })
}
/**
 * Names the i-th item of a list in an error message, such as `entries[3] ("AUTH_FAILED")`;
 * called only when there is an error to report. One per list, not a closure per entry.
 */
type Where = (i: number) => string

/** The retry policy an entry without its own gets: its normalized code's, settled once per code. */
function defaultPolicies (taxonomy: ReadonlyMap<NormalizedCode, TaxonomyCode>): Map<NormalizedCode, RetryPolicy> {
  const policies = new Map<NormalizedCode, RetryPolicy>()
  for (const [code, { retry }] of taxonomy) policies.set(code, settled({ ...retry }))
  return policies
}

/** A policy that never retries has no delays to speak of. */
function settled (retry: RetryPolicy): RetryPolicy {
  if (!retry.retryable) Object.assign(retry, { base_delay_ms: 0, max_delay_ms: 0 })
  return Object.freeze(retry)
}

function buildSource (spec: SourceFile, path: string, taxonomy: ReadonlyMap<NormalizedCode, TaxonomyCode>, policies: ReadonlyMap<NormalizedCode, RetryPolicy>): SourceIndex {
  const source = spec.id
  const entries: Entry[] = []
  const messageHints = new Map<Entry, readonly MessageHint[]>()
  // Runs once per entry: a catalog of hundreds of thousands of entries boots in
  // seconds only if this allocates little (shared default policies, no copies).
  const toEntry = (item: EntryLike, kind: EntryKind, where: Where, i: number, code: string): Entry => {
    const defaults = policies.get(item.normalized_code)
    if (defaults === undefined) throw new CatalogError(path, where(i), 'normalized_code', `${item.normalized_code} is not in the taxonomy`)
    let retry = defaults
    if (item.retry !== undefined) {
      retry = { ...(taxonomy.get(item.normalized_code) as TaxonomyCode).retry, ...item.retry }
      checkRetryConsistent(retry, path, () => where(i))
      retry = settled(retry)
    }
    const entry: Entry = {
      source,
      code,
      kind,
      normalized_code: item.normalized_code,
      http_status: item.http_status,
      title: item.title,
      description: item.description,
      retry,
      // The parsed file is errcat's own: freeze its object rather than copy it.
      remediation: Object.freeze(item.remediation),
      origin: item.origin ?? 'error_reference'
    }
    if (item.message !== undefined) entry.message = item.message
    if (item.template !== undefined) entry.template = item.template
    if (item.type !== undefined) entry.type = item.type
    if (item.notes !== undefined) entry.notes = item.notes
    if (item.reference !== undefined) entry.reference = item.reference
    if (item.inferred !== undefined) entry.inferred = Object.freeze(withoutDuplicates(item.inferred)) as string[]
    entries.push(Object.freeze(entry))
    if (item.message_hints !== undefined) messageHints.set(entry, Object.freeze(item.message_hints.map((hint) => Object.freeze(hint))))
    return entry
  }

  const byCode = new Map<string, Entry>()
  const byLowerCode = new Map<string, Entry[]>()
  const byMessage = new Map<string, Entry>()
  const pageCodes = new Set<Entry>()
  const templates: CompiledTemplate[] = []
  const entryAt: Where = (i) => `entries[${i}] (${JSON.stringify(spec.entries[i]?.code)})`
  spec.entries.forEach((item, i) => {
    if (byCode.has(item.code)) throw new CatalogError(path, entryAt(i), 'code', 'appears twice in this source')
    const kind: EntryKind = item.message !== undefined ? 'message' : item.template !== undefined ? 'template' : 'code'
    const entry = toEntry(item, kind, entryAt, i, item.code)
    byCode.set(entry.code, entry)
    push(byLowerCode, entry.code.toLowerCase(), entry)
    if (item.page_code === true) pageCodes.add(entry)
    if (item.message !== undefined) {
      if (byMessage.has(item.message)) throw new CatalogError(path, entryAt(i), 'message', 'the same message belongs to another entry')
      byMessage.set(item.message, entry)
    }
    if (item.template !== undefined) {
      try {
        templates.push({ parsed: parseTemplate(item.template), entry, order: i })
      } catch (error) {
        if (error instanceof TemplateSyntaxError) throw new CatalogError(path, entryAt(i), 'template', error.message)
        throw error
      }
    }
  })
  const templateIndex = new TemplateIndex(templates)
  checkTemplateOverlaps(templates, templateIndex, path)

  const byType = new Map<string, Entry>()
  const byLowerType = new Map<string, Entry[]>()
  const typeAt: Where = (i) => `types[${i}] (${JSON.stringify(spec.types?.[i]?.type)})`
  spec.types?.forEach((item, i) => {
    if (byType.has(item.type)) throw new CatalogError(path, typeAt(i), 'type', 'appears twice in this source')
    const entry = toEntry(item, 'type', typeAt, i, item.type)
    byType.set(item.type, entry)
    push(byLowerType, item.type.toLowerCase(), entry)
  })

  const patternAt: Where = (i) => `patterns[${i}] (${JSON.stringify(spec.patterns?.[i]?.code)})`
  const patterns = (spec.patterns ?? []).map((item, i) => {
    if (item.prefix === undefined && item.suffix === undefined && item.contains === undefined) {
      throw new CatalogError(path, patternAt(i), 'suffix', 'a pattern needs at least one of prefix, suffix or contains')
    }
    return Object.freeze(buildPatternRule(item, toEntry(item, 'pattern', patternAt, i, item.code)))
  })

  const byStatus = new Map<number, Entry>()
  const statusesNamingCode = new Set<Entry>()
  const statusAt: Where = (i) => `statuses[${i}] (${JSON.stringify(spec.statuses?.[i]?.code)})`
  spec.statuses?.forEach((item, i) => {
    if (byStatus.has(item.http_status)) throw new CatalogError(path, statusAt(i), 'http_status', 'appears twice in this source')
    const entry = toEntry(item, 'status', statusAt, i, item.code)
    byStatus.set(item.http_status, entry)
    if (item.status_is_code === true) statusesNamingCode.add(entry)
  })

  return Object.freeze({
    info: Object.freeze({
      id: source,
      name: spec.name,
      reference: spec.reference,
      role: spec.role ?? 'service',
      docs: Object.freeze([...spec.docs]) as string[],
      envelope: spec.envelope,
      diagnostic_tool: spec.diagnostic_tool ?? null,
      entry_count: entries.length
    }),
    byCode,
    byLowerCode: freezeLists(byLowerCode),
    byMessage,
    byType,
    byLowerType: freezeLists(byLowerType),
    byStatus,
    statusesNamingCode: Object.freeze(statusesNamingCode),
    pageCodes: Object.freeze(pageCodes),
    patterns: Object.freeze(patterns),
    templates: templateIndex,
    messageHints,
    codeHeaders: Object.freeze([...spec.code_headers ?? []]),
    bodyCodeMarks: Object.freeze([...spec.body_code_marks ?? []]),
    bodyCodePaths: Object.freeze((spec.body_code_paths ?? []).map((path) => Object.freeze(path.split('.')))),
    requestIdHeaders: Object.freeze([...spec.request_id_headers ?? []]),
    shouldRetryHeaders: Object.freeze([...spec.should_retry_headers ?? []]),
    rateLimitResets: Object.freeze((spec.rate_limit_resets ?? []).map((reset) => Object.freeze({ ...reset }))),
    entries: Object.freeze(entries)
  })
}

/**
 * Two templates overlap when one's sample message matches the other: then a
 * message could match both. The index finds the candidates, so the check is
 * linear in the number of templates, not quadratic.
 */
function checkTemplateOverlaps (templates: readonly CompiledTemplate[], index: TemplateIndex, path: string): void {
  for (const template of templates) {
    const other = index.matchAll(sampleOf(template.parsed)).find((candidate) => candidate !== template)
    if (other !== undefined) {
      const [first, second] = other.order < template.order ? [other, template] : [template, other]
      throw new CatalogError(path, `entries[${second.order}] (${JSON.stringify(second.entry.code)})`, 'template',
        `overlaps the template of ${JSON.stringify(first.entry.code)}: one message could match both`)
    }
  }
}

function checkRetryConsistent (retry: RetryPolicy, path: string, where: () => string): void {
  if (retry.retryable && retry.strategy === 'none') throw new CatalogError(path, where(), 'retry.strategy', 'a retryable policy needs a strategy other than none')
  if (!retry.retryable && (retry.strategy !== 'none' || retry.max_attempts !== 1)) {
    throw new CatalogError(path, where(), 'retry', 'a policy that is not retryable has strategy none and max_attempts 1')
  }
  if (retry.retryable && retry.max_attempts < 2) throw new CatalogError(path, where(), 'retry.max_attempts', 'a retryable policy allows at least 2 attempts')
  if (retry.base_delay_ms > retry.max_delay_ms) throw new CatalogError(path, where(), 'retry.base_delay_ms', 'must not exceed max_delay_ms')
}

/** Freezes plain catalog data all the way down (objects and arrays; the data has no cycles). */
function deepFreeze<T> (value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** The list itself when it has no duplicates (the usual case), else a copy without them. */
function withoutDuplicates<T> (list: T[]): T[] {
  return list.every((value, i) => list.indexOf(value) === i) ? list : [...new Set(list)]
}

function freezeLists<K, V> (map: Map<K, V[]>): Map<K, readonly V[]> {
  for (const list of map.values()) Object.freeze(list)
  return map
}

function push<K, V> (map: Map<K, V[]>, key: K, ...values: V[]): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, values)
  else list.push(...values)
}

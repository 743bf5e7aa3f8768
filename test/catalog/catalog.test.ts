// The catalog (catalog/*.yaml) and its loader (issue 3). Like fastify core's
// tests that hold its error-code registry and its docs against each other, the
// catalog is held against the seed pages' code lists in both directions:
// nothing missing, nothing unexplained. The facts come from fixtures copied
// from the seeds and platforms.md, kept as fixtures in this repository.
import { cp, readdir, readFile, rename, rm, utimes, writeFile } from 'node:fs/promises'
import { readFileSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join, relative } from 'node:path'
import { test } from 'tap'
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { CATALOG_DIR, SEED_SOURCE_IDS, SOURCE_IDS, bundledCatalog } from '../helper.js'
import { buildCatalog, CatalogError, loadCatalog, TAXONOMY_FILE } from '../../src/catalog/load.js'
import { NORMALIZED_CODES } from '../../src/catalog/schema.js'
import {
  matchTemplate, parseTemplate, sampleOf, TemplateIndex, TemplateSyntaxError, type CompiledTemplate
} from '../../src/catalog/templates.js'
import { buildPatternRule, firstMatchingPattern, patternMatches } from '../../src/catalog/patterns.js'
import { codesIgnoringCase, codeWords, isCommonCode } from '../../src/catalog/codes.js'
import { lookup } from '../../src/engine/lookup.js'
import { jsonSchemaText, SCHEMA_FILES } from '../../src/catalog/json-schema.js'
import type { Catalog, Entry, SourceIndex } from '../../src/catalog/types.js'

type T = Parameters<Parameters<typeof test>[0]>[0]

// ---------------------------------------------------------------- fixtures

interface SeedContract {
  xerotier: Array<{ code: string, diagnostic: string | null }>
  nullspace: Array<{ code: string }>
  scaigrid: Array<{ code: string, http_status: number }>
  scaigrid_modules: Array<{ code: string }>
  onecli_messages: Array<{ message: string, http_status: number }>
  onecli_statuses: Array<{ http_status: number, meaning: string }>
}

interface PlatformFacts {
  xerotier: { types: string[], published: Array<{ code: string, http_status: number, retry: string }> }
  nullspace: {
    cli_hint_command: string
    cli_exit_codes: Record<string, string[]>
    fallback_rules: string[]
    retry: Record<string, string>
  }
  scaigrid: { retry: Record<string, string>, envelope_message: { code: string, message: string } }
  onecli: {
    service_types: Array<{ http_status: number, type: string }>
    messages: Array<{ message: string, type?: string, http_status?: number }>
    gateway: Array<{ code: string, http_status: number, retry?: string }>
    gateway_reused_status: string[]
  }
  public_pages: Array<{ source: string, kind: string, code: string, http_status?: number, page: string }>
}

function fixture<V> (name: string): V {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')) as V
}

const seeds = fixture<SeedContract>('seed-contract.json')
const facts = fixture<PlatformFacts>('catalog-platform-facts.json')
const documentedCommands = fixture<{ commands: Record<string, Record<string, string>> }>('diagnostic-commands.json')

// Issue 3's taxonomy table: code, HTTP statuses, gRPC code, default retry.
const TAXONOMY: Array<[string, number[], string, 'none' | 'backoff' | 'once' | 'longer' | 'unreachable']> = [
  ['invalid_request', [400, 422], 'INVALID_ARGUMENT', 'none'],
  ['context_length_exceeded', [400], 'OUT_OF_RANGE', 'none'],
  ['unauthenticated', [401, 407], 'UNAUTHENTICATED', 'none'],
  ['permission_denied', [403], 'PERMISSION_DENIED', 'none'],
  ['not_found', [404], 'NOT_FOUND', 'none'],
  ['conflict', [409], 'ALREADY_EXISTS', 'none'],
  ['failed_precondition', [400, 409, 412], 'FAILED_PRECONDITION', 'none'],
  ['rate_limited', [429], 'RESOURCE_EXHAUSTED', 'backoff'],
  ['quota_exceeded', [403, 429], 'RESOURCE_EXHAUSTED', 'none'],
  ['billing', [402], 'FAILED_PRECONDITION', 'none'],
  ['unavailable', [503], 'UNAVAILABLE', 'backoff'],
  ['overloaded', [503, 529], 'UNAVAILABLE', 'longer'],
  ['timeout', [408, 504], 'DEADLINE_EXCEEDED', 'backoff'],
  ['upstream_error', [502], 'UNAVAILABLE', 'once'],
  ['upstream_unreachable', [502, 503, 521, 523, 525, 526], 'UNAVAILABLE', 'unreachable'],
  ['not_implemented', [501, 505], 'UNIMPLEMENTED', 'none'],
  ['internal', [500], 'INTERNAL', 'backoff'],
  ['content_policy', [400], 'INVALID_ARGUMENT', 'none'],
  ['payload_too_large', [413], 'RESOURCE_EXHAUSTED', 'none'],
  ['cancelled', [499], 'CANCELLED', 'none'],
  ['gone', [410], 'NOT_FOUND', 'none'],
  ['unknown', [], 'UNKNOWN', 'none']
]

const BACKOFF = { retryable: true, strategy: 'exponential_backoff', max_attempts: 3, base_delay_ms: 500, max_delay_ms: 8000 }

// ---------------------------------------------------------------- helpers

function source (catalog: Catalog, id: string): SourceIndex {
  const index = catalog.sources.get(id)
  if (index === undefined) throw new Error(`no source ${id} in the catalog`)
  return index
}

function codeEntry (catalog: Catalog, id: string, code: string): Entry {
  const entry = source(catalog, id).byCode.get(code)
  if (entry === undefined) throw new Error(`no entry ${id}/${code}`)
  return entry
}

/** Asserts a retry policy against the platform's own words (platforms.md). */
function expectRetry (t: T, entry: Entry | undefined, words: string): void {
  const label = `${entry?.source}/${entry?.code}: "${words}"`
  if (entry === undefined) {
    t.fail(`no entry for ${label}`)
    return
  }
  const retry = entry.retry
  if (words === 'no' || words.startsWith('no,') || words === 'x-should-retry: false') {
    t.same({ retryable: retry.retryable, strategy: retry.strategy, max_attempts: retry.max_attempts },
      { retryable: false, strategy: 'none', max_attempts: 1 }, label)
  } else if (words === 'once' || words === 'retry once') {
    t.same({ retryable: retry.retryable, max_attempts: retry.max_attempts }, { retryable: true, max_attempts: 2 }, label)
    t.not(retry.strategy, 'none', label)
  } else if (words === 'yes, honor retry_after' || words === 'retry after the rate-limit window' || words.startsWith('Retry-After')) {
    t.same({ retryable: retry.retryable, strategy: retry.strategy }, { retryable: true, strategy: 'retry_after' }, label)
  } else if (words === 'yes, exponential backoff') {
    t.same({ retryable: retry.retryable, strategy: retry.strategy }, { retryable: true, strategy: 'exponential_backoff' }, label)
  } else if (words === 'yes' || words === 'retry later' || words === 'sometimes, after a delay') {
    t.equal(retry.retryable, true, label)
    t.not(retry.strategy, 'none', label)
    t.ok(retry.max_attempts >= 2, `${label}: at least one retry`)
  } else {
    t.fail(`no rule for the words ${label}`)
  }
}

async function copyCatalog (dir: string): Promise<string> {
  await cp(CATALOG_DIR, dir, { recursive: true })
  return dir
}

interface YamlItem { code?: string, type?: string, [field: string]: unknown }
interface YamlSource { id: string, entries: YamlItem[], types?: YamlItem[], patterns?: YamlItem[], statuses?: YamlItem[], [field: string]: unknown }
interface YamlTaxonomy { codes: YamlItem[] }

/** Parses a catalog file, lets `mutate` change the data, and writes it back. */
async function editYaml<D> (dir: string, name: string, mutate: (data: D) => void): Promise<void> {
  const path = join(dir, name)
  const data = parseYaml(await readFile(path, 'utf8')) as D
  mutate(data)
  await writeFile(path, stringifyYaml(data, { lineWidth: 0 }))
}

/** Replaces one exact piece of a file's text; throws if it is not there exactly once. */
async function editText (dir: string, name: string, from: string, to: string): Promise<void> {
  const path = join(dir, name)
  const text = await readFile(path, 'utf8')
  if (text.split(from).length !== 2) throw new Error(`${name} does not hold ${JSON.stringify(from)} exactly once`)
  await writeFile(path, text.replace(from, to))
}

function indexOfCode (items: YamlItem[], code: string): number {
  const i = items.findIndex((item) => item.code === code)
  if (i === -1) throw new Error(`no item ${code}`)
  return i
}

async function loadError (dir: string): Promise<CatalogError> {
  try {
    await loadCatalog(dir)
  } catch (error) {
    if (error instanceof CatalogError) return error
    throw error
  }
  throw new Error(`loadCatalog accepted the broken catalog in ${dir}`)
}

/** Asserts a CatalogError names the file, the entry and the field, in its properties and its message. */
function expectError (t: T, error: CatalogError, want: { file: string, entry: string | null, field: string | null, problem: string | RegExp }): void {
  t.equal(error.name, 'CatalogError')
  t.equal(error.file, want.file, 'names the file')
  t.equal(error.entry, want.entry, 'names the entry')
  t.equal(error.field, want.field, 'names the field')
  const prefix = [want.file, want.entry, want.field === null ? null : `field "${want.field}"`].filter((part) => part !== null).join(': ') + ': '
  t.equal(error.message.slice(0, prefix.length), prefix, 'the message starts with file, entry and field')
  if (typeof want.problem === 'string') t.equal(error.message, prefix + want.problem)
  else t.match(error.message.slice(prefix.length), want.problem)
}

function fakeEntry (code: string): Entry {
  return {
    source: 'test',
    code,
    kind: 'template',
    normalized_code: 'invalid_request',
    http_status: 400,
    title: `title of ${code}`,
    description: `description of ${code}`,
    retry: { retryable: false, strategy: 'none', max_attempts: 1, base_delay_ms: 0, max_delay_ms: 0 },
    remediation: { action: 'fix it', diagnostic: null },
    origin: 'error_reference'
  }
}

function compiled (template: string, order: number): CompiledTemplate {
  return { parsed: parseTemplate(template), entry: fakeEntry(template), order }
}

// ---------------------------------------------------------------- the contract: nothing missing

test('the catalog holds the four seed platforms and the upstreams gateways meet, and no other source', async (t) => {
  const catalog = await bundledCatalog()
  t.same([...catalog.sourceIds].sort(), SOURCE_IDS)
  t.same([...catalog.sources.keys()].sort(), SOURCE_IDS)
  for (const id of SOURCE_IDS) t.equal(source(catalog, id).info.id, id)
})

test('nothing missing: every xerotier seed code, with its diagnostic exactly as the seed gives it', async (t) => {
  const xerotier = source(await bundledCatalog(), 'xerotier')
  t.equal(seeds.xerotier.length, 26, 'the fixture holds the seed\'s 26 codes')
  for (const row of seeds.xerotier) {
    const entry = xerotier.byCode.get(row.code)
    t.equal(entry?.code, row.code, `${row.code} is an entry`)
    t.equal(entry?.origin, 'error_reference', `${row.code} comes from the reference page`)
    t.equal(entry?.remediation.diagnostic, row.diagnostic, `${row.code}: diagnostic ${JSON.stringify(row.diagnostic)}`)
    // "(no dedicated diagnostic)": the action says what to capture, the x-request-id header.
    if (row.diagnostic === null) t.match(entry?.remediation.action, /x-request-id/i, `${row.code}: the action says to capture x-request-id`)
  }
})

test('xerotier scope_insufficient notes its three middlewares and the surface its message names', async (t) => {
  const entry = codeEntry(await bundledCatalog(), 'xerotier', 'scope_insufficient')
  t.match(entry.notes, /three/i)
  t.match(entry.notes, /management/i)
  t.match(entry.notes, /inference/i)
  t.match(entry.notes, /exec/i)
})

test('nothing missing: every nullspace seed code, spelled exactly as the seed (QUOTA_EXCEEDED uppercase)', async (t) => {
  const nullspace = source(await bundledCatalog(), 'nullspace')
  t.equal(seeds.nullspace.length, 65, 'the fixture holds the seed\'s 65 codes')
  for (const row of seeds.nullspace) {
    const entry = nullspace.byCode.get(row.code)
    t.equal(entry?.code, row.code, `${row.code} is an entry`)
    t.equal(entry?.origin, 'error_reference', `${row.code} comes from the reference page`)
  }
  t.equal(nullspace.byCode.get('QUOTA_EXCEEDED')?.code, 'QUOTA_EXCEEDED', 'uppercase, as the seed spells it')
  t.equal(nullspace.byCode.get('quota_exceeded'), undefined, 'byCode is the exact spelling')
})

test('nothing missing: every scaigrid table code with the seed\'s HTTP status, not inferred', async (t) => {
  const scaigrid = source(await bundledCatalog(), 'scaigrid')
  t.equal(seeds.scaigrid.length, 63, 'the fixture holds the seed\'s 63 table codes')
  for (const row of seeds.scaigrid) {
    const entry = scaigrid.byCode.get(row.code)
    t.equal(entry?.code, row.code, `${row.code} is an entry`)
    t.equal(entry?.origin, 'error_reference', `${row.code} comes from the reference page`)
    t.equal(entry?.http_status, row.http_status, `${row.code}: HTTP ${row.http_status} as the seed says`)
    t.equal(entry?.inferred?.includes('http_status') ?? false, false, `${row.code}: the seed's status is not marked inferred`)
  }
})

test('nothing missing: all 29 scaigrid module codes', async (t) => {
  const scaigrid = source(await bundledCatalog(), 'scaigrid')
  t.equal(seeds.scaigrid_modules.length, 29)
  for (const row of seeds.scaigrid_modules) {
    const entry = scaigrid.byCode.get(row.code)
    t.equal(entry?.code, row.code, `${row.code} is an entry`)
    t.equal(entry?.origin, 'error_reference', `${row.code} comes from the reference page`)
  }
})

test('nothing missing: the 25 onecli messages, exact text and HTTP status, templates kept as templates', async (t) => {
  const onecli = source(await bundledCatalog(), 'onecli')
  t.equal(seeds.onecli_messages.length, 25)
  for (const row of seeds.onecli_messages) {
    const holders = onecli.entries.filter((entry) => entry.message === row.message || entry.template === row.message)
    t.equal(holders.length, 1, `exactly one entry holds ${JSON.stringify(row.message)}`)
    const entry = holders[0]
    const templated = row.message.includes('{')
    t.equal(entry?.kind, templated ? 'template' : 'message', `${JSON.stringify(row.message)} is a ${templated ? 'template' : 'message'}`)
    t.equal(templated ? entry?.template : entry?.message, row.message, 'the exact text')
    t.equal(entry?.http_status, row.http_status, `${JSON.stringify(row.message)}: HTTP ${row.http_status}`)
    t.equal(entry?.origin, 'error_reference')
    t.match(entry?.code, /^[a-z][a-z0-9_]*$/, 'a stable slug code')
  }
  t.equal(onecli.byMessage.get('Agent not found')?.code, 'agent_not_found', 'the issue\'s example slug')
  t.same(
    onecli.entries.filter((entry) => entry.kind === 'template' && entry.origin === 'error_reference').map((entry) => entry.template).sort(),
    ['Provider "{provider}" is not available', 'Unknown provider: {provider}', '{field} is required'].sort(),
    'the issue\'s three templates'
  )
})

test('nothing missing: the 6 onecli status rows are status entries', async (t) => {
  const onecli = source(await bundledCatalog(), 'onecli')
  t.equal(seeds.onecli_statuses.length, 6)
  for (const row of seeds.onecli_statuses) {
    const entry = onecli.byStatus.get(row.http_status)
    t.equal(entry?.kind, 'status', `${row.http_status} ${row.meaning} is a status entry`)
    t.equal(entry?.http_status, row.http_status)
    t.equal(entry?.origin, 'error_reference')
  }
  const referenceRows = [...onecli.byStatus.values()].filter((entry) => entry.origin === 'error_reference')
  t.same(referenceRows.map((entry) => entry.http_status).sort(), seeds.onecli_statuses.map((row) => row.http_status).sort(), 'no other status rows from the reference page')
})

// ---------------------------------------------------------------- the contract: nothing unexplained

function inSeed (entry: Entry): boolean {
  const codes = (rows: Array<{ code: string }>): boolean => rows.some((row) => row.code === entry.code)
  const codeLike = entry.kind === 'code' || entry.kind === 'message' || entry.kind === 'template'
  switch (entry.source) {
    case 'xerotier': return codeLike && codes(seeds.xerotier)
    case 'nullspace': return codeLike && codes(seeds.nullspace)
    case 'scaigrid': return codeLike && (codes(seeds.scaigrid) || codes(seeds.scaigrid_modules))
    case 'onecli':
      if (entry.kind === 'message') return seeds.onecli_messages.some((row) => row.message === entry.message)
      if (entry.kind === 'template') return seeds.onecli_messages.some((row) => row.message === entry.template)
      if (entry.kind === 'status') return seeds.onecli_statuses.some((row) => row.http_status === entry.http_status)
      return false
    default: return false
  }
}

const nullspaceCliCodes = Object.values(facts.nullspace.cli_exit_codes).flat()
const xerotierTypes = [...facts.xerotier.types, ...facts.public_pages.filter((row) => row.source === 'xerotier' && row.kind === 'type').map((row) => row.code)]
const nullspacePatternNames = [
  ...nullspaceCliCodes.filter((code) => code.includes('*')),
  ...facts.nullspace.fallback_rules.map((rule) => (rule.startsWith('*') ? rule : `*${rule}*`))
]

/** Whether platforms.md names this entry's code, type, message or rule. */
function inPlatformDocs (entry: Entry): boolean {
  switch (`${entry.source}/${entry.kind}`) {
    case 'xerotier/code': return facts.xerotier.published.some((row) => row.code === entry.code)
    case 'xerotier/type': return facts.xerotier.types.includes(entry.code)
    case 'nullspace/code': return nullspaceCliCodes.includes(entry.code)
    case 'nullspace/pattern': return nullspacePatternNames.includes(entry.code)
    case 'scaigrid/pattern': return /^\*_[A-Z_]+$/.test(entry.code) // the {MODULE}_{NAME} suffix conventions
    case 'onecli/code': return facts.onecli.gateway.some((row) => row.code === entry.code) || facts.onecli.gateway_reused_status.includes(entry.code)
    case 'onecli/message': return facts.onecli.messages.some((row) => row.message === entry.message)
    case 'onecli/type': return facts.onecli.service_types.some((row) => row.type === entry.code)
    default: return false
  }
}

/** A fact of the platform's other public pages: the entry names the page it is on. */
function inPublicPage (entry: Entry): boolean {
  return facts.public_pages.some((row) => row.source === entry.source && row.kind === entry.kind && row.code === entry.code && row.page === entry.reference)
}

/** The status a public page gives this entry, if one does. */
function publishedStatus (source: string, code: string): number | undefined {
  return facts.public_pages.find((row) => row.source === source && row.code === code)?.http_status
}

/** OneCLI is open source: an entry may name the file of github.com/onecli/onecli that emits it. */
function inPlatformSource (entry: Entry): boolean {
  return entry.source === 'onecli' && /^https:\/\/github\.com\/onecli\/onecli\/blob\/[0-9a-f]{40}\/\S+$/.test(entry.reference ?? '')
}

test('nothing unexplained: every seed entry is in its seed, every other entry is platform_docs and named in platforms.md or on a public page', async (t) => {
  const catalog = await bundledCatalog()
  for (const entry of catalog.allEntries.filter((item) => SEED_SOURCE_IDS.includes(item.source))) {
    const label = `${entry.source}/${entry.kind}/${entry.code}`
    if (entry.origin === 'error_reference') {
      t.ok(inSeed(entry), `${label} (origin error_reference) is on the platform's reference page`)
    } else {
      t.equal(entry.origin, 'platform_docs', `${label} has origin platform_docs`)
      t.ok(inPlatformDocs(entry) || inPublicPage(entry) || inPlatformSource(entry), `${label} (origin platform_docs) is named in platforms.md, on a public page it names, or in the platform's own public source`)
    }
  }
})

test('every entry of the other sources names the public page its facts come from', async (t) => {
  const catalog = await bundledCatalog()
  const others = SOURCE_IDS.filter((id) => !SEED_SOURCE_IDS.includes(id))
  t.ok(others.length > 0, 'the catalog holds sources beyond the four platforms')
  const publicPage = /^https:\/\/\S+$/
  for (const id of others) {
    const index = source(catalog, id)
    t.match(index.info.reference, publicPage, `${id}: its reference is a public page`)
    t.ok(index.info.docs.length > 0, `${id}: names the docs it was built from`)
    for (const entry of index.entries) {
      const page = entry.reference ?? index.info.reference
      t.match(page, publicPage, `${id}/${entry.kind}/${entry.code}: ${page}`)
    }
  }
})

test('type rules and pattern rules all come from the platform docs', async (t) => {
  const catalog = await bundledCatalog()
  const rules = catalog.allEntries.filter((entry) => SEED_SOURCE_IDS.includes(entry.source) && (entry.kind === 'type' || entry.kind === 'pattern'))
  t.equal(source(catalog, 'xerotier').byType.size, xerotierTypes.length, 'xerotier: the ten type values platforms.md lists, and two of its error-handling page')
  t.equal([...source(catalog, 'onecli').byType.values()].filter((entry) => entry.reference === undefined).length, new Set(facts.onecli.service_types.map((row) => row.type)).size, 'onecli: its six service types')
  t.equal(source(catalog, 'nullspace').patterns.length, nullspacePatternNames.length, 'nullspace: preview_*_disabled and the fallback rules')
  t.ok(source(catalog, 'scaigrid').patterns.length >= 1, 'scaigrid: the {MODULE}_{NAME} conventions')
  for (const rule of rules) t.equal(rule.origin, 'platform_docs', `${rule.source}/${rule.kind}/${rule.code}`)
})

test('seed entry counts: xerotier 26, nullspace 65, scaigrid 92, onecli 25 messages and 6 statuses', async (t) => {
  const catalog = await bundledCatalog()
  const seedEntries = (id: string, kinds?: string[]) =>
    source(catalog, id).entries.filter((entry) => entry.origin === 'error_reference' && (kinds === undefined || kinds.includes(entry.kind))).length
  t.equal(seedEntries('xerotier'), 26)
  t.equal(seedEntries('nullspace'), 65)
  t.equal(seedEntries('scaigrid'), 92)
  t.equal(seedEntries('onecli', ['message', 'template']), 25)
  t.equal(seedEntries('onecli', ['status']), 6)
  t.equal(seedEntries('onecli'), 31)
  for (const id of SOURCE_IDS) {
    const index = source(catalog, id)
    t.equal(index.info.entry_count, index.entries.length, `${id}: info.entry_count counts its entries`)
  }
  t.equal(catalog.allEntries.length, SOURCE_IDS.reduce((sum, id) => sum + source(catalog, id).entries.length, 0))
})

// ---------------------------------------------------------------- platform facts

test('xerotier: the codes platforms.md publishes carry its HTTP status and retryability', async (t) => {
  const catalog = await bundledCatalog()
  const xerotier = source(catalog, 'xerotier')
  for (const row of facts.xerotier.published) {
    const entry = xerotier.byCode.get(row.code)
    t.equal(entry?.http_status, row.http_status, `${row.code}: HTTP ${row.http_status}`)
    t.equal(entry?.inferred?.includes('http_status') ?? false, false, `${row.code}: a published status is not inferred`)
    expectRetry(t, entry, row.retry)
  }
  t.same([...xerotier.byType.keys()].sort(), [...xerotierTypes].sort(), 'the twelve envelope type values')
  for (const entry of xerotier.entries) {
    if (entry.http_status === null || facts.xerotier.published.some((row) => row.code === entry.code)) continue
    const published = publishedStatus('xerotier', entry.code)
    if (published !== undefined) {
      t.equal(entry.http_status, published, `xerotier/${entry.code}: the status its page gives`)
      t.notOk(entry.inferred?.includes('http_status'), `xerotier/${entry.code}: a published status is not inferred`)
      continue
    }
    t.ok(entry.inferred?.includes('http_status'), `xerotier/${entry.code}: no source gives its status, so it is marked inferred`)
  }
})

test('nullspace: a status no page publishes is marked inferred; the one the auto-resume page gives is not', async (t) => {
  const nullspace = source(await bundledCatalog(), 'nullspace')
  for (const entry of nullspace.entries) {
    if (entry.http_status === null) continue
    const published = publishedStatus('nullspace', entry.code)
    if (published === undefined) t.ok(entry.inferred?.includes('http_status'), `nullspace/${entry.code}: inferred`)
    else t.same([entry.http_status, entry.inferred?.includes('http_status') ?? false], [published, false], `nullspace/${entry.code}: HTTP ${published}, published`)
  }
})

test('nullspace: every code its CLI groups names resolves, by entry or by pattern rule', async (t) => {
  const nullspace = source(await bundledCatalog(), 'nullspace')
  for (const code of nullspaceCliCodes) {
    if (code.includes('*')) {
      t.ok(nullspace.patterns.some((rule) => rule.entry.code === code), `${code} is a pattern rule`)
      continue
    }
    const entry = nullspace.byCode.get(code) ?? firstMatchingPattern(nullspace.patterns, code)?.entry
    t.not(entry, undefined, `${code} resolves`)
  }
  t.equal(firstMatchingPattern(nullspace.patterns, 'quota_exceeded')?.entry.normalized_code, 'quota_exceeded', 'the CLI\'s lowercase quota_exceeded')
})

test('nullspace: the fallback rules keep platforms.md\'s order (*_not_found, *_permission_denied, quota, rate_limit, *_conflict)', async (t) => {
  const nullspace = source(await bundledCatalog(), 'nullspace')
  const order = ['*_not_found', '*_permission_denied', '*quota*', '*rate_limit*', '*_conflict']
  const positions = order.map((code) => nullspace.patterns.findIndex((rule) => rule.entry.code === code))
  t.notOk(positions.includes(-1), `every fallback rule is there: ${positions.join(', ')}`)
  t.same([...positions].sort((a, b) => a - b), positions, 'in that order')
  const resolve = (code: string) => firstMatchingPattern(nullspace.patterns, code)?.entry.normalized_code
  t.equal(resolve('quota_not_found'), 'not_found', '*_not_found wins over quota')
  t.equal(resolve('quota_conflict'), 'quota_exceeded', 'quota wins over *_conflict')
  t.equal(resolve('rate_limit_conflict'), 'rate_limited', 'rate_limit wins over *_conflict')
  t.equal(resolve('volume_permission_denied'), 'permission_denied')
  t.equal(resolve('lease_conflict'), 'conflict')
  t.equal(resolve('preview_ports_disabled'), 'permission_denied', 'preview_*_disabled')
  t.equal(resolve('Storage_QUOTA_hit'), 'quota_exceeded', 'quota matches in any case')
  t.equal(resolve('totally_unrelated'), undefined)
})

test('retry overrides from platforms.md', async (t) => {
  const catalog = await bundledCatalog()
  const scaigrid = source(catalog, 'scaigrid')
  // The brief's named overrides, stated exactly.
  t.equal(codeEntry(catalog, 'scaigrid', 'BACKEND_ERROR').retry.max_attempts, 2, 'BACKEND_ERROR: retry once')
  t.equal(codeEntry(catalog, 'scaigrid', 'BACKEND_ERROR').retry.retryable, true)
  t.same(pick(codeEntry(catalog, 'scaigrid', 'UPSTREAM_SHAPE_MISMATCH')), { retryable: false, strategy: 'none', max_attempts: 1 })
  t.same(pick(codeEntry(catalog, 'scaigrid', 'QUOTA_EXCEEDED')), { retryable: false, strategy: 'none', max_attempts: 1 })
  t.same(pick(codeEntry(catalog, 'scaigrid', 'BUDGET_EXCEEDED')), { retryable: false, strategy: 'none', max_attempts: 1 })
  t.equal(codeEntry(catalog, 'nullspace', 'invalid_response').retry.max_attempts, 2, 'nullspace invalid_response: retry once')
  t.equal(codeEntry(catalog, 'nullspace', 'invalid_response').retry.retryable, true)
  // ScaiGrid's whole published classification, and Nullspace's retry texts.
  for (const [code, words] of Object.entries(facts.scaigrid.retry)) {
    expectRetry(t, scaigrid.byCode.get(code) ?? scaigrid.byMessage.get(code), words)
  }
  for (const [code, words] of Object.entries(facts.nullspace.retry)) expectRetry(t, source(catalog, 'nullspace').byCode.get(code), words)
})

function pick (entry: Pick<Entry, 'retry'>) {
  return { retryable: entry.retry.retryable, strategy: entry.retry.strategy, max_attempts: entry.retry.max_attempts }
}

test('scaigrid: the module-code conventions as pattern rules', async (t) => {
  const scaigrid = source(await bundledCatalog(), 'scaigrid')
  const notFound = firstMatchingPattern(scaigrid.patterns, 'SCAIMATRIX_INDEX_NOT_FOUND')
  t.equal(notFound?.entry.code, '*_NOT_FOUND')
  t.equal(notFound?.entry.normalized_code, 'not_found')
  t.equal(notFound?.entry.http_status, 404, '`*_NOT_FOUND` is a 404, as platforms.md says')
  t.equal(firstMatchingPattern(scaigrid.patterns, '_NOT_FOUND'), undefined, 'the bare suffix is no module code')
  t.equal(firstMatchingPattern(scaigrid.patterns, 'SCAIMATRIX_TOKEN_INVALID')?.entry.normalized_code, 'unauthenticated',
    '*_TOKEN_INVALID is tried before *_INVALID')
  t.equal(firstMatchingPattern(scaigrid.patterns, 'SCAIMATRIX_SCHEMA_INVALID')?.entry.normalized_code, 'invalid_request')
  // The rules agree with the 29 listed module codes wherever one applies.
  for (const row of seeds.scaigrid_modules) {
    const rule = firstMatchingPattern(scaigrid.patterns, row.code)
    if (rule !== undefined) t.equal(scaigrid.byCode.get(row.code)?.normalized_code, rule.entry.normalized_code, `${row.code} agrees with ${rule.entry.code}`)
  }
  t.equal(scaigrid.byMessage.get(facts.scaigrid.envelope_message.message)?.code, facts.scaigrid.envelope_message.code,
    'the envelope example message resolves to its code')
})

test('onecli: gateway codes, nested types and messages from platforms.md', async (t) => {
  const onecli = source(await bundledCatalog(), 'onecli')
  for (const row of facts.onecli.gateway) {
    const entry = onecli.byCode.get(row.code)
    t.equal(entry?.http_status, row.http_status, `${row.code}: HTTP ${row.http_status}`)
    if (row.retry !== undefined) expectRetry(t, entry, row.retry)
  }
  for (const code of facts.onecli.gateway_reused_status) {
    t.equal(onecli.byCode.get(code)?.http_status, null, `${code} reuses the upstream's status, so it has none of its own`)
  }
  for (const type of new Set(facts.onecli.service_types.map((row) => row.type))) {
    const statuses = facts.onecli.service_types.filter((row) => row.type === type).map((row) => row.http_status)
    const entry = onecli.byType.get(type)
    t.equal(entry?.type, type, `${type} is a type rule`)
    t.ok(entry !== undefined && entry.http_status !== null && statuses.includes(entry.http_status), `${type}: HTTP ${entry?.http_status} is one of ${statuses.join(', ')}`)
  }
  t.same([...onecli.byType.values()].filter((entry) => entry.reference === undefined).length, 6, 'the six service types platforms.md names; any other names its source file')
  for (const row of facts.onecli.messages) {
    const entry = onecli.byMessage.get(row.message)
    t.equal(entry?.message, row.message, `${JSON.stringify(row.message)} is a message entry`)
    if (row.type !== undefined) t.equal(entry?.type, row.type, `${JSON.stringify(row.message)}: type ${row.type}`)
    if (row.http_status !== undefined) t.equal(entry?.http_status, row.http_status, `${JSON.stringify(row.message)}: HTTP ${row.http_status}`)
  }
})

test('onecli: only 500 is retryable, with exponential backoff; every 4xx seed row is not', async (t) => {
  const onecli = source(await bundledCatalog(), 'onecli')
  for (const entry of onecli.entries.filter((item) => item.origin === 'error_reference')) {
    if (entry.http_status === 500) {
      t.same(pick(entry), { retryable: true, strategy: 'exponential_backoff', max_attempts: 3 }, `${entry.code}: 500 retries with backoff`)
    } else {
      t.equal(entry.retry.retryable, false, `${entry.code} (HTTP ${entry.http_status}) is not retryable`)
    }
  }
  t.equal(onecli.byStatus.get(500)?.retry.retryable, true)
})

// ---------------------------------------------------------------- diagnostics

test('diagnostics are never invented: xerotier\'s are the seed\'s, nullspace\'s is the one its docs show, scaigrid has none, the other sources\' are in their docs', async (t) => {
  const catalog = await bundledCatalog()
  const xeroctl = new Set(seeds.xerotier.map((row) => row.diagnostic).filter((d) => d !== null))
  const allowed: Record<string, Set<string>> = {
    xerotier: xeroctl,
    nullspace: new Set([facts.nullspace.cli_hint_command]),
    scaigrid: new Set()
  }
  for (const [id, commands] of Object.entries(documentedCommands.commands)) allowed[id] = new Set(Object.keys(commands))
  t.equal(facts.nullspace.cli_hint_command, 'nullspace sandbox list')
  for (const entry of catalog.allEntries) {
    const diagnostic = entry.remediation.diagnostic
    if (diagnostic === null) continue
    t.ok(allowed[entry.source]?.has(diagnostic), `${entry.source}/${entry.code}: ${JSON.stringify(diagnostic)} is a command the ${entry.source} docs show`)
  }
  for (const id of ['scaigrid']) {
    t.same(source(catalog, id).entries.filter((entry) => entry.remediation.diagnostic !== null).map((entry) => entry.code), [], `${id} has no diagnostics`)
  }
  for (const code of catalog.taxonomy.values()) t.equal(code.remediation.diagnostic, null, `taxonomy ${code.code}: no platform command`)
})

// Whether and when to retry is the retry policy's to say, beside the action; an
// action that spoke of it could contradict the policy or name another delay.
const RETRY_TALK = /\bretr(?:y|ies|ied|ying)\b|try again|\bwait|retry_after|retry-after/i

test('no action speaks of retrying or waiting: the retry policy beside it decides', async (t) => {
  const catalog = await bundledCatalog()
  for (const entry of catalog.allEntries) {
    t.notMatch(entry.remediation.action, RETRY_TALK, `${entry.source}/${entry.kind}/${entry.code}`)
  }
  for (const code of catalog.taxonomy.values()) t.notMatch(code.remediation.action, RETRY_TALK, `taxonomy ${code.code}`)
  t.match('Retry with backoff.', RETRY_TALK, 'the pattern catches retry advice')
  t.match('Wait for the delay, then try again.', RETRY_TALK, 'and waiting advice')
  t.notMatch('Report it with the x-request-id response header value.', RETRY_TALK)
})

test('nullspace exec_failed and build_error are not retried, as their remediation says', async (t) => {
  const nullspace = source(await bundledCatalog(), 'nullspace')
  for (const code of ['exec_failed', 'build_error']) {
    const entry = nullspace.byCode.get(code)
    t.equal(entry?.retry.retryable, false, `${code} is not retried automatically`)
    t.equal(entry?.retry.strategy, 'none', `${code}: strategy none`)
  }
  t.match(nullspace.byCode.get('exec_failed')?.remediation.action, /may already have run/)
})

test('descriptions are the catalog\'s own words, not the seed\'s auto-generated "Auth locked."', async (t) => {
  const catalog = await bundledCatalog()
  const humanized = (code: string) => code.replace(/[_*]+/g, ' ').trim().toLowerCase()
  for (const entry of catalog.allEntries) {
    const description = entry.description.replace(/\.$/, '').trim().toLowerCase()
    t.not(description, humanized(entry.code), `${entry.source}/${entry.code}: description is more than the code`)
    t.not(entry.description, entry.title, `${entry.source}/${entry.code}: description differs from the title`)
  }
})

// ---------------------------------------------------------------- taxonomy

test('the taxonomy holds exactly the normalized codes, their gRPC codes and HTTP statuses', async (t) => {
  const catalog = await bundledCatalog()
  t.same([...NORMALIZED_CODES].sort(), TAXONOMY.map(([code]) => code).sort(), 'the schema\'s list')
  t.same([...catalog.taxonomy.keys()].sort(), TAXONOMY.map(([code]) => code).sort(), 'the taxonomy file\'s list')
  for (const [code, statuses, grpc] of TAXONOMY) {
    const entry = catalog.taxonomy.get(code as never)
    t.equal(entry?.code, code)
    t.equal(entry?.grpc_code, grpc, `${code}: gRPC ${grpc}`)
    t.same([...(entry?.http_status ?? [])].sort(), statuses, `${code}: HTTP ${statuses.join(', ') || 'none'}`)
  }
})

test('the taxonomy\'s default retry: backoff 3 x 500..8000 ms, upstream_error one retry, overloaded longer, the rest not retryable', async (t) => {
  const catalog = await bundledCatalog()
  for (const [code, , , retry] of TAXONOMY) {
    const policy = catalog.taxonomy.get(code as never)?.retry
    if (retry === 'backoff') t.same(policy, BACKOFF, `${code} backs off`)
    else if (retry === 'once') t.same(policy, { ...BACKOFF, max_attempts: 2 }, `${code} retries once`)
    else if (retry === 'longer') t.same(policy, { ...BACKOFF, max_attempts: 4, base_delay_ms: 2000, max_delay_ms: 30000 }, `${code} backs off longer`)
    else if (retry === 'unreachable') t.same(policy, { ...BACKOFF, base_delay_ms: 1000, max_delay_ms: 16000 }, `${code} backs off from 1 s`)
    else t.same(policy && pick({ retry: policy }), { retryable: false, strategy: 'none', max_attempts: 1 }, `${code} is not retryable`)
  }
})

test('every entry\'s normalized_code is in the taxonomy, and entries without an override get its default retry', async (t) => {
  const catalog = await bundledCatalog()
  for (const entry of catalog.allEntries) {
    const defaults = catalog.taxonomy.get(entry.normalized_code)
    t.equal(defaults?.code, entry.normalized_code, `${entry.source}/${entry.code}: ${entry.normalized_code}`)
  }
  // Overrides merge over the default: a field the entry does not set keeps the default's value.
  const plain = codeEntry(catalog, 'scaigrid', 'VALIDATION_ERROR')
  t.same(plain.retry, catalog.taxonomy.get('invalid_request')?.retry)
  const partial = codeEntry(catalog, 'scaigrid', 'RATE_LIMITED')
  t.same(partial.retry, { ...catalog.taxonomy.get('rate_limited')?.retry, strategy: 'retry_after' }, 'an override of strategy only keeps the default backoff numbers')
})

test('common codes: the taxonomy\'s list and its normalized codes, compared in any case and spelling of separators', async (t) => {
  const catalog = await bundledCatalog()
  for (const code of ['INTERNAL_ERROR', 'InternalError', 'internal-error', 'TooManyRequests', 'RESOURCE_EXHAUSTED', 'rate_limited', 'Forbidden']) {
    t.ok(isCommonCode(catalog, code), code)
  }
  for (const code of ['sandbox_not_found', 'MODEL_UNAVAILABLE', 'insufficient_quota', 'ThrottlingException']) t.notOk(isCommonCode(catalog, code), code)
  t.equal(codeWords('RateLimit-Exceeded'), 'rate_limit_exceeded')
})

// ---------------------------------------------------------------- indexes

test('byCode is by exact code per source; codesIgnoringCase finds every spelling across sources', async (t) => {
  const catalog = await bundledCatalog()
  const nullspace = source(catalog, 'nullspace')
  t.equal(nullspace.byCode.get('sandbox_not_found')?.code, 'sandbox_not_found')
  t.equal(nullspace.byCode.get('SANDBOX_NOT_FOUND'), undefined)
  const spellings = (code: string, ids?: string[]): string[] =>
    codesIgnoringCase(catalog, code, ids?.map((id) => source(catalog, id))).map((entry) => `${entry.source}/${entry.code}`)
  t.same(spellings('quota_exceeded', ['nullspace']), ['nullspace/QUOTA_EXCEEDED'])
  t.same(spellings('model_not_found', ['scaigrid']), ['scaigrid/MODEL_NOT_FOUND'])
  const everySource = ['nullspace/QUOTA_EXCEEDED', 'onecli/quota_exceeded', 'scaigrid/QUOTA_EXCEEDED', 'xerotier/quota_exceeded']
  const inSeedSources = (found: string[]): string[] => found.filter((pair) => SEED_SOURCE_IDS.includes(pair.split('/')[0] as string))
  t.same(inSeedSources(spellings('quota_exceeded')), everySource, 'every source\'s spelling, in source order')
  t.same(inSeedSources(spellings('Quota_Exceeded')), everySource, 'a mixed-case query finds lowercase and uppercase spellings')
  // Only code-like entries: onecli's "not_found" status row and types are not codes.
  t.same(inSeedSources(codesIgnoringCase(catalog, 'not_found').map((entry) => `${entry.source}/${entry.kind}`)), ['nullspace/code'])
  t.same(codesIgnoringCase(catalog, 'rate_limit_error').filter((entry) => SEED_SOURCE_IDS.includes(entry.source)), [], 'type rules are not codes')
  t.same(codesIgnoringCase(catalog, 'no_such_code_anywhere'), [])
  // Both directions: every code-like entry is found under any casing of its code, and only entries of that code are found.
  const swapCase = (code: string): string => [...code].map((ch, i) => (i % 2 === 0 ? ch.toUpperCase() : ch.toLowerCase())).join('')
  let listed = 0
  for (const id of SOURCE_IDS) {
    const index = source(catalog, id)
    for (const [code, entry] of index.byCode) {
      t.equal(entry.code, code)
      t.equal(entry.source, id)
      t.ok(['code', 'message', 'template'].includes(entry.kind), `${id}/${code} is code-like`)
      for (const query of [code, code.toLowerCase(), code.toUpperCase(), swapCase(code)]) {
        const found = codesIgnoringCase(catalog, query)
        t.ok(found.includes(entry), `${id}/${code} is found as ${query}`)
        t.ok(found.every((other) => other.code.toLowerCase() === code.toLowerCase()), `only ${code} ignoring case, as ${query}`)
      }
      listed++
    }
  }
  t.ok(listed > 200, 'every byCode entry was looked up')
})

test('codesIgnoringCase finds every spelling of a code in file order, and does not mistake uppercasing for case', async (t) => {
  const dir = await copyCatalog(t.testdir())
  const extra = (code: string): YamlItem => ({
    code,
    normalized_code: 'rate_limited',
    http_status: 429,
    title: 'A test code',
    description: 'A code spelled for this test.',
    remediation: { action: 'Nothing to do.', diagnostic: null }
  })
  await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => {
    data.entries.push(extra('Throttled'), extra('THROTTLED'), extra('throttled'), extra('tHrOtTlEd'), extra('SS'), extra('ß_only'), extra('SS_ONLY'), extra('\u212A_KELVIN'))
    data.types = [...(data.types ?? []), { ...extra('unused'), code: undefined, type: 'RateLimitError' }]
  })
  const catalog = await loadCatalog(dir)
  const xerotier = source(catalog, 'xerotier')
  t.same(xerotier.byLowerCode.get('throttled')?.map((entry) => entry.code), ['Throttled', 'THROTTLED', 'throttled', 'tHrOtTlEd'], 'in file order')
  for (const query of ['throttled', 'THROTTLED', 'Throttled', 'thrOTTLED']) {
    t.same(codesIgnoringCase(catalog, query).map((entry) => entry.code), ['Throttled', 'THROTTLED', 'throttled', 'tHrOtTlEd'],
      `${query}: every spelling, in file order`)
  }
  // "ß" uppercases to "SS", but "SS" lowercases to "ss": not the same code ignoring case.
  t.same(codesIgnoringCase(catalog, 'ß').map((entry) => entry.code), [])
  t.same(codesIgnoringCase(catalog, 'ss').map((entry) => entry.code), ['SS'])
  t.same(codesIgnoringCase(catalog, 'SS').map((entry) => entry.code), ['SS'])
  t.same(codesIgnoringCase(catalog, 'ß_only').map((entry) => entry.code), ['ß_only'], '"ß_only" uppercases to "SS_ONLY", which is another code')
  t.same(codesIgnoringCase(catalog, 'ß_ONLY').map((entry) => entry.code), ['ß_only'])
  t.same(codesIgnoringCase(catalog, 'ss_only').map((entry) => entry.code), ['SS_ONLY'])
  // The Kelvin sign is its own uppercase, but lowercases to k, which uppercases to K: a mixed-case spelling.
  t.same(xerotier.byLowerCode.get('k_kelvin')?.map((entry) => entry.code), ['\u212A_KELVIN'])
  t.same(codesIgnoringCase(catalog, 'k_kelvin').map((entry) => entry.code), ['\u212A_KELVIN'])
  t.same(codesIgnoringCase(catalog, 'K_KELVIN').map((entry) => entry.code), ['\u212A_KELVIN'])
  t.same(xerotier.byLowerType.get('ratelimiterror')?.map((entry) => entry.type), ['RateLimitError'])
  t.same(lookup('ratelimiterror', catalog).matches.map((entry) => `${entry.kind}/${entry.code}`), ['type/RateLimitError'],
    'lookup finds a mixed-case type ignoring case')
  t.same(lookup('THROTTLED', catalog).matches.map((entry) => entry.code), ['THROTTLED', 'Throttled', 'throttled', 'tHrOtTlEd'],
    'lookup puts the exact spelling first')
})

test('byMessage, byType and byStatus', async (t) => {
  const catalog = await bundledCatalog()
  const onecli = source(catalog, 'onecli')
  t.equal(onecli.byMessage.get('Agent not found')?.code, 'agent_not_found')
  t.equal(onecli.byMessage.get('agent not found'), undefined, 'messages match exactly')
  t.equal(onecli.byMessage.get('Unknown provider: {provider}'), undefined, 'templates are not messages')
  t.equal(source(catalog, 'nullspace').byMessage.get('Sandbox not found')?.code, 'sandbox_not_found')
  for (const id of SOURCE_IDS) {
    const index = source(catalog, id)
    for (const [message, entry] of index.byMessage) t.equal(entry.message, message)
    for (const [type, entry] of index.byType) {
      t.equal(entry.kind, 'type')
      t.equal(entry.type, type)
      t.equal(entry.code, type)
    }
    for (const [status, entry] of index.byStatus) {
      t.equal(entry.kind, 'status')
      t.equal(entry.http_status, status)
    }
  }
  t.equal(source(catalog, 'xerotier').byType.get('authentication_error')?.normalized_code, 'unauthenticated')
  t.equal(onecli.byType.get('rate_limit_error')?.normalized_code, 'rate_limited')
  t.equal(onecli.byStatus.get(404)?.code, 'not_found')
  t.equal(onecli.byStatus.get(418), undefined)
  for (const id of ['nullspace', 'scaigrid', 'xerotier']) t.equal(source(catalog, id).byStatus.size, 0, `${id} has no status rows`)
})

test('the template matcher finds the catalog\'s templates with their parameters', async (t) => {
  const catalog = await bundledCatalog()
  const onecli = source(catalog, 'onecli').templates
  t.equal([...source(catalog, 'onecli').entries].filter((entry) => entry.kind === 'template' && entry.origin === 'error_reference').length, 3, 'the reference page\'s three')
  t.equal(source(catalog, 'xerotier').templates.size, 1)
  t.equal(source(catalog, 'nullspace').templates.size, 0)
  t.equal(source(catalog, 'scaigrid').templates.size, 0)
  const hit = (message: string) => {
    const found = onecli.match(message)
    return found === null ? null : { code: found.template.entry.code, params: found.params }
  }
  t.same(hit('Unknown provider: github'), { code: 'app_provider_unknown', params: { provider: 'github' } })
  t.same(hit('Provider "slack" is not available'), { code: 'app_provider_unavailable', params: { provider: 'slack' } })
  t.same(hit('apiKey is required'), { code: 'app_credential_field_required', params: { field: 'apiKey' } })
  t.same(hit('Unknown provider: '), null, 'a placeholder never captures nothing')
  t.same(hit(' is required'), null)
  t.same(hit('Agent not found'), null)
  const xerotier = source(catalog, 'xerotier').templates.match("Tool 'github.create_repo' is not registered with any online XEM")
  t.equal(xerotier?.template.entry.code, 'exec_tool_not_found')
  t.same(xerotier?.params, { tool: 'github.create_repo' })
})

test('pattern rules: SCAIMATRIX_INDEX_NOT_FOUND matches *_NOT_FOUND, the bare suffix does not', async (t) => {
  const entry = fakeEntry('*_NOT_FOUND')
  const suffix = buildPatternRule({ suffix: '_NOT_FOUND' }, entry)
  t.equal(patternMatches(suffix, 'SCAIMATRIX_INDEX_NOT_FOUND'), true)
  t.equal(patternMatches(suffix, 'X_NOT_FOUND'), true)
  t.equal(patternMatches(suffix, '_NOT_FOUND'), false, 'the wildcard stands for at least one character')
  t.equal(patternMatches(suffix, 'scaimatrix_index_not_found'), false, 'case-sensitive unless ignore_case')
  t.equal(patternMatches(suffix, 'NOT_FOUND_X'), false)
  const both = buildPatternRule({ prefix: 'preview_', suffix: '_disabled' }, entry)
  t.equal(patternMatches(both, 'preview_ports_disabled'), true)
  t.equal(patternMatches(both, 'preview_x_disabled'), true)
  t.equal(patternMatches(both, 'preview__disabled'), false, 'prefix and suffix may not share characters')
  t.equal(patternMatches(both, 'preview_disabled'), false)
  t.equal(patternMatches(both, 'xpreview_a_disabled'), false)
  const folded = buildPatternRule({ contains: 'Quota', ignore_case: true }, entry)
  t.equal(folded.contains, 'quota', 'stored lowercased')
  t.equal(patternMatches(folded, 'VOLUME_QUOTA_EXCEEDED'), true)
  t.equal(patternMatches(folded, 'volume_limit'), false)
  const exact = buildPatternRule({ contains: 'quota' }, entry)
  t.equal(patternMatches(exact, 'VOLUME_QUOTA'), false)
  t.equal(firstMatchingPattern([suffix, folded], 'QUOTA_NOT_FOUND'), suffix, 'the first rule that holds wins')
  t.equal(firstMatchingPattern([folded, suffix], 'QUOTA_NOT_FOUND'), folded)
  t.equal(firstMatchingPattern([suffix], 'nothing'), undefined)
})

test('the catalog and its entries are frozen', async (t) => {
  const catalog = await bundledCatalog()
  t.ok(Object.isFrozen(catalog), 'the catalog')
  t.ok(Object.isFrozen(catalog.allEntries), 'allEntries')
  t.ok(Object.isFrozen(catalog.sourceIds), 'sourceIds')
  t.ok(Object.isFrozen(catalog.searchText), 'searchText')
  for (const id of SOURCE_IDS) {
    const index = source(catalog, id)
    t.ok(Object.isFrozen(index.entries), `${id}.entries`)
    t.ok(Object.isFrozen(index.patterns), `${id}.patterns`)
    t.ok(Object.isFrozen(index.info), `${id}.info`)
  }
  const unfrozen = catalog.allEntries.filter((entry) => !Object.isFrozen(entry) || !Object.isFrozen(entry.retry) || !Object.isFrozen(entry.remediation))
  t.same(unfrozen.map((entry) => `${entry.source}/${entry.code}`), [], 'every entry, its retry and its remediation')
  for (const code of catalog.taxonomy.values()) t.ok(Object.isFrozen(code), `taxonomy ${code.code}`)
  const entry = codeEntry(catalog, 'xerotier', 'scope_insufficient')
  t.throws(() => { (entry as { code: string }).code = 'hijacked' }, TypeError, 'assigning to an entry throws')
  t.throws(() => { (entry.retry as { max_attempts: number }).max_attempts = 9 }, TypeError)
  t.equal(entry.code, 'scope_insufficient')
  t.equal(catalog.allEntries.length > 0, true)
  t.equal(catalog.allEntries[0] === source(catalog, catalog.allEntries[0]?.source ?? '').entries[0], true, 'indexes share the same entry objects')
})

test('every plain object and array reachable from the catalog is frozen (immutable indexes)', async (t) => {
  // A fresh load, so nothing here can disturb the catalog other tests share.
  const catalog = await loadCatalog(CATALOG_DIR)
  const unfrozen = new Set<string>()
  const seen = new Set<unknown>()
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object' || seen.has(value)) return
    seen.add(value)
    if (value instanceof Map) {
      for (const [key, item] of value) walk(item, `${path}.get(*${typeof key === 'number' ? 'n' : ''})`)
      return
    }
    if (!Object.isFrozen(value)) unfrozen.add(path)
    for (const [key, item] of Object.entries(value)) walk(item, Array.isArray(value) ? `${path}[]` : `${path}.${key}`)
  }
  walk(catalog, 'catalog')
  // Skip the TemplateIndex internals: its maps are private and read-only by construction.
  t.same([...unfrozen].filter((path) => !path.includes('.templates.')).sort(), [])
})

test('version is a 16-hex content hash that changes exactly when a file\'s content does', async (t) => {
  const bundled = await bundledCatalog()
  t.match(bundled.version, /^[0-9a-f]{16}$/)
  const dir = await copyCatalog(t.testdir())
  const copy = await loadCatalog(dir)
  t.equal(copy.version, bundled.version, 'the same files elsewhere: the same version')
  t.equal(copy.dir, dir)
  t.match(copy.loadedAt, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
  t.equal((await loadCatalog(dir)).version, bundled.version, 'loading again: the same version')

  const later = new Date(Date.now() + 60_000)
  await utimes(join(dir, 'onecli.yaml'), later, later)
  await writeFile(join(dir, 'README.md'), 'not part of the catalog\n')
  t.equal((await loadCatalog(dir)).version, bundled.version, 'a touched file and a non-YAML file change nothing')

  await writeFile(join(dir, 'onecli.yaml'), (await readFile(join(dir, 'onecli.yaml'), 'utf8')) + '# a comment\n')
  const edited = (await loadCatalog(dir)).version
  t.match(edited, /^[0-9a-f]{16}$/)
  t.not(edited, bundled.version, 'a content change, even a comment, changes the version')

  await writeFile(join(dir, 'xerotier.yaml'), (await readFile(join(dir, 'xerotier.yaml'), 'utf8')) + '# another\n')
  const twice = (await loadCatalog(dir)).version
  t.not(twice, edited)
  t.not(twice, bundled.version)
})

test('buildCatalog is pure: the version does not depend on the order files are given in', async (t) => {
  const names = (await readdir(CATALOG_DIR)).filter((name) => name.endsWith('.yaml'))
  const files = await Promise.all(names.map(async (name) => ({ name, text: await readFile(join(CATALOG_DIR, name), 'utf8') })))
  const forward = buildCatalog(files, '/somewhere')
  const backward = buildCatalog([...files].reverse(), '/elsewhere')
  t.equal(forward.version, (await bundledCatalog()).version)
  t.equal(backward.version, forward.version)
  t.equal(forward.dir, '/somewhere')
})

// ---------------------------------------------------------------- templates.ts

test('parseTemplate splits literals and placeholder names', async (t) => {
  t.same(parseTemplate('Unknown provider: {provider}'), { literals: ['Unknown provider: ', ''], names: ['provider'] })
  t.same(parseTemplate('{field} is required'), { literals: ['', ' is required'], names: ['field'] })
  t.same(parseTemplate('a {x} b {y}'), { literals: ['a ', ' b ', ''], names: ['x', 'y'] })
  t.same(parseTemplate('Provider "{provider}" is not available'), { literals: ['Provider "', '" is not available'], names: ['provider'] })
  t.same(parseTemplate('T {_a1} u'), { literals: ['T ', ' u'], names: ['_a1'] })
  t.equal(sampleOf(parseTemplate('a {x} b {y}')), 'a x b x')
  t.equal(sampleOf(parseTemplate('{field} is required')), 'x is required')
})

test('parseTemplate rejects templates that do not parse', async (t) => {
  const rejects: Array<[string, string | RegExp]> = [
    ['Unknown provider: {provider', 'unclosed "{" at offset 18'],
    ['Unknown {a} and {b', 'unclosed "{" at offset 16'],
    ['stray } brace {x}', 'unmatched "}" at offset 6'],
    ['a {x}} b', 'unmatched "}" at offset 5'],
    ['bad {1x} name', 'placeholder "{1x}" is not an identifier'],
    ['bad {x-y} name', 'placeholder "{x-y}" is not an identifier'],
    ['bad { x } name', 'placeholder "{ x }" is not an identifier'],
    ['empty {} name', 'placeholder "{}" is not an identifier'],
    ['nested {{x}} name', 'placeholder "{{x}" is not an identifier'],
    ['{x} and {x}', 'placeholder "{x}" appears twice'],
    ['a {x}{y} b', 'placeholders next to each other before "{y}"'],
    ['no placeholder here', 'a template needs at least one {placeholder}; use message for a fixed text'],
    ['{x} middle {y}', 'a template must begin or end with literal text, so it can be indexed'],
    ['{x}', 'a template must begin or end with literal text, so it can be indexed']
  ]
  for (const [template, message] of rejects) {
    t.throws(() => parseTemplate(template), { name: 'TemplateSyntaxError', message }, JSON.stringify(template))
    try {
      parseTemplate(template)
    } catch (error) {
      t.ok(error instanceof TemplateSyntaxError, `${JSON.stringify(template)}: a TemplateSyntaxError`)
    }
  }
})

test('matchTemplate captures non-empty parameters', async (t) => {
  const provider = parseTemplate('Unknown provider: {provider}')
  t.same(matchTemplate(provider, 'Unknown provider: github'), { provider: 'github' })
  t.same(matchTemplate(provider, 'Unknown provider: a: b'), { provider: 'a: b' })
  t.equal(matchTemplate(provider, 'Unknown provider: '), null, 'empty capture')
  t.equal(matchTemplate(provider, 'Unknown provider:'), null)
  t.equal(matchTemplate(provider, 'unknown provider: github'), null, 'literals match exactly')
  t.equal(matchTemplate(provider, 'X Unknown provider: github'), null, 'anchored at the start')
  const required = parseTemplate('{field} is required')
  t.same(matchTemplate(required, 'clientId is required'), { field: 'clientId' })
  t.same(matchTemplate(required, 'x is required is required'), { field: 'x is required' })
  t.equal(matchTemplate(required, ' is required'), null)
  t.equal(matchTemplate(required, 'clientId is required.'), null, 'anchored at the end')
  const quoted = parseTemplate('Provider "{provider}" is not available')
  t.same(matchTemplate(quoted, 'Provider "a" is not available'), { provider: 'a' })
  t.same(matchTemplate(quoted, 'Provider "" is not available'), null)
})

test('matchTemplate with several placeholders takes the leftmost middle literal', async (t) => {
  const tool = parseTemplate('Tool {tool} on {host} failed')
  t.same(matchTemplate(tool, 'Tool a on b failed'), { tool: 'a', host: 'b' })
  t.same(matchTemplate(tool, 'Tool a on b on c failed'), { tool: 'a', host: 'b on c' }, 'leftmost " on "')
  t.same(matchTemplate(tool, 'Tool  on  on x failed'), { tool: ' on ', host: 'x' }, 'the first capture is never empty')
  t.equal(matchTemplate(tool, 'Tool a on failed'), null, 'the middle literal may not eat into the tail')
  t.equal(matchTemplate(tool, 'Tool a failed'), null)
  t.equal(matchTemplate(tool, 'Tool  on b failed'), null)
  const three = parseTemplate('a {x} b {y} c {z} d')
  t.same(matchTemplate(three, 'a 1 b 2 c 3 d'), { x: '1', y: '2', z: '3' })
  t.same(matchTemplate(three, 'a 1 b 2 b 3 c 4 c 5 d'), { x: '1', y: '2 b 3', z: '4 c 5' })
  t.equal(matchTemplate(three, 'a 1 b 2 d'), null)
})

test('TemplateIndex prefers the more specific template, then catalog order', async (t) => {
  const generic = compiled('{field} is required', 0)
  const specific = compiled('Provider {name} is required', 1)
  const index = new TemplateIndex([generic, specific])
  t.equal(index.size, 2)
  t.equal(index.match('Provider x is required')?.template, specific, 'more literal text wins over catalog order')
  t.same(index.match('Provider x is required')?.params, { name: 'x' })
  t.equal(index.match('token is required')?.template, generic)
  t.same(index.match('token is required')?.params, { field: 'token' })
  t.equal(index.match('nothing here'), null)

  const reversed = new TemplateIndex([compiled('Provider {name} is required', 0), compiled('{field} is required', 1)])
  t.equal(reversed.match('Provider x is required')?.template.entry.code, 'Provider {name} is required')

  // Equal specificity: the earlier one in catalog order.
  const headFirst = new TemplateIndex([compiled('ab {x}', 0), compiled('{y} ab', 1)])
  t.equal(headFirst.match('ab ab')?.template.entry.code, 'ab {x}')
  t.same(headFirst.match('ab ab')?.params, { x: 'ab' })
  const tailFirst = new TemplateIndex([compiled('ab {x}', 1), compiled('{y} ab', 0)])
  t.equal(tailFirst.match('ab ab')?.template.entry.code, '{y} ab')

  // Templates sharing an 8-character head anchor, and heads shorter than the anchor.
  const shared = new TemplateIndex([compiled('Unknown provider: {p}', 0), compiled('Unknown model: {m}', 1), compiled('E: {x}', 2)])
  t.same(shared.match('Unknown model: gpt')?.params, { m: 'gpt' })
  t.same(shared.match('Unknown provider: gh')?.params, { p: 'gh' })
  t.same(shared.match('E: boom')?.params, { x: 'boom' })
  t.equal(shared.match('E'), null, 'a message shorter than every anchor')
  t.equal(new TemplateIndex([]).match('anything'), null)
})

test('a 1 MiB hostile message against multi-placeholder templates returns the right answer', async (t) => {
  const MiB = 1 << 20
  // Compare huge captures by shape, so a failure does not print megabytes.
  const shape = (params: Record<string, string> | null) =>
    params === null ? null : Object.fromEntries(Object.entries(params).map(([name, value]) => [name, `${value.length}:${value.slice(0, 12)}`]))
  const three = parseTemplate('a {x} b {y} c {z} d')
  // Many candidate middle literals, and no way to finish.
  t.equal(shape(matchTemplate(three, 'a ' + 'x b '.repeat(MiB / 4) + 'd')), null)
  t.equal(shape(matchTemplate(three, 'a ' + 'x b '.repeat(MiB / 4) + ' d')), null, 'no " c " anywhere')
  t.equal(shape(matchTemplate(three, 'a ' + ' c '.repeat(MiB / 3) + ' b x d')), null, 'every " c " comes before the " b "')
  const big = 'x'.repeat(MiB)
  t.same(shape(matchTemplate(three, `a ${big} b ${big} c 3 d`)), { x: `${MiB}:xxxxxxxxxxxx`, y: `${MiB}:xxxxxxxxxxxx`, z: '1:3' })
  const thirds = Math.floor(MiB / 3)
  t.same(shape(matchTemplate(three, 'a 1 b ' + ' b '.repeat(thirds) + ' c 3 d')), { x: '1:1', y: `${3 * thirds}: b  b  b  b `, z: '1:3' },
    'the leftmost " b " after a one-character x, the rest is y')
  const quotes = parseTemplate('Provider "{provider}" is not available')
  t.equal(shape(matchTemplate(quotes, 'Provider "' + '"'.repeat(MiB))), null)
  t.same(shape(matchTemplate(quotes, 'Provider "' + '"'.repeat(MiB) + '" is not available')), { provider: `${MiB}:""""""""""""` })

  const onecli = source(await bundledCatalog(), 'onecli').templates
  const twelfths = Math.floor(MiB / 12)
  // Both 'Unknown provider: {provider}' and '{field} is required' match; the more specific wins.
  const provider = onecli.match('Unknown provider: ' + ' is required'.repeat(twelfths))
  t.equal(provider?.template.entry.code, 'app_provider_unknown')
  t.equal(provider?.params.provider?.length, twelfths * 12)
  t.equal(onecli.match('{'.repeat(MiB)), null)
  t.equal(onecli.match('Provider "' + ' is required'.repeat(MiB / 12) + 'x" is not available?'), null)
})

// ---------------------------------------------------------------- loader validation

test('loadCatalog accepts an unedited copy and resolves a relative directory', async (t) => {
  const dir = await copyCatalog(t.testdir())
  const catalog = await loadCatalog(dir)
  t.same([...catalog.sourceIds].sort(), SOURCE_IDS)
  t.equal(catalog.allEntries.length, (await bundledCatalog()).allEntries.length)
  const relativePath = relative(process.cwd(), dir)
  t.not(relativePath, dir)
  t.equal((await loadCatalog(relativePath)).dir, dir, 'dir is the absolute path')
})

test('loadCatalog rejects a broken catalog with one CatalogError naming file, entry and field', async (t) => {
  t.test('a duplicate code within a source', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'scaigrid.yaml', (data) => {
      at = indexOfCode(data.entries, 'MODEL_NOT_FOUND') + 1
      ;(data.entries[at] as YamlItem).code = 'MODEL_NOT_FOUND'
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'scaigrid.yaml'), entry: `entries[${at}] ("MODEL_NOT_FOUND")`, field: 'code', problem: 'appears twice in this source'
    })
  })

  t.test('the same code in two sources is fine', async (t) => {
    const catalog = await bundledCatalog()
    t.equal(codeEntry(catalog, 'xerotier', 'quota_exceeded').source, 'xerotier')
    t.equal(codeEntry(catalog, 'onecli', 'quota_exceeded').source, 'onecli')
  })

  t.test('an unknown normalized_code', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => { (data.entries[0] as YamlItem).normalized_code = 'exploded' })
    const error = await loadError(dir)
    expectError(t, error, {
      file: join(dir, 'xerotier.yaml'), entry: 'entries[0] ("scope_insufficient")', field: 'normalized_code', problem: /"exploded"/
    })
    t.match(error.problem, /must be one of invalid_request, context_length_exceeded, .*unknown/)
  })

  t.test('an unknown normalized_code on a type rule', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let type = ''
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      const item = (data.types as YamlItem[])[1] as YamlItem
      type = item.type as string
      item.normalized_code = 'bogus'
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'), entry: `types[1] (${JSON.stringify(type)})`, field: 'normalized_code', problem: /"bogus"/
    })
  })

  t.test('a template that does not parse', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      at = indexOfCode(data.entries, 'app_provider_unknown')
      ;(data.entries[at] as YamlItem).template = 'Unknown provider: {provider'
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'), entry: `entries[${at}] ("app_provider_unknown")`, field: 'template', problem: 'unclosed "{" at offset 18'
    })
  })

  t.test('two templates that overlap: {x} is required and {field} is required', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let first = -1
    let second = -1
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      first = indexOfCode(data.entries, 'app_provider_unknown')
      second = indexOfCode(data.entries, 'app_credential_field_required')
      ;(data.entries[first] as YamlItem).template = '{x} is required'
    })
    t.ok(first < second, 'the edited template comes first in the file')
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'),
      entry: `entries[${second}] ("app_credential_field_required")`,
      field: 'template',
      problem: 'overlaps the template of "app_provider_unknown": one message could match both'
    })
  })

  t.test('a template that overlaps a more specific one', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      const model = data.entries[indexOfCode(data.entries, 'app_provider_unknown')] as YamlItem
      at = data.entries.length
      data.entries.push({ ...model, code: 'unknown_anything', template: 'Unknown {thing}' })
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'),
      entry: `entries[${at}] ("unknown_anything")`,
      field: 'template',
      problem: 'overlaps the template of "app_provider_unknown": one message could match both'
    })
  })

  t.test('a YAML syntax error', async (t) => {
    const dir = await copyCatalog(t.testdir())
    const path = join(dir, 'xerotier.yaml')
    await writeFile(path, (await readFile(path, 'utf8')) + '  - code: [unclosed\n')
    const error = await loadError(dir)
    expectError(t, error, { file: path, entry: null, field: null, problem: /^not valid YAML: .+/ })
    t.match(error.message, /line \d+/, 'says where')
  })

  t.test('a key repeated in one entry', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editText(dir, 'nullspace.yaml', '  - code: auth_locked\n', '  - code: auth_locked\n    code: auth_locked_again\n')
    expectError(t, await loadError(dir), { file: join(dir, 'nullspace.yaml'), entry: null, field: null, problem: /^not valid YAML: .*unique/i })
  })

  t.test('an unknown extra field on an entry (additionalProperties)', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'scaigrid.yaml', (data) => {
      at = indexOfCode(data.entries, 'BACKEND_ERROR')
      ;(data.entries[at] as YamlItem).severity = 'high'
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'scaigrid.yaml'), entry: `entries[${at}] ("BACKEND_ERROR")`, field: 'severity', problem: /unexpected property/i
    })
  })

  t.test('an unknown extra field inside retry', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'scaigrid.yaml', (data) => {
      at = indexOfCode(data.entries, 'BACKEND_ERROR')
      ;(data.entries[at] as YamlItem).retry = { max_attempts: 2, jitter: true }
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'scaigrid.yaml'), entry: `entries[${at}] ("BACKEND_ERROR")`, field: 'retry.jitter', problem: /unexpected property/i
    })
  })

  t.test('an unknown top-level field', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => { data.maintainer = 'someone' })
    expectError(t, await loadError(dir), { file: join(dir, 'onecli.yaml'), entry: null, field: 'maintainer', problem: /unexpected property/i })
  })

  t.test('a missing required field', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => { delete (data.entries[2] as YamlItem).title })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'), entry: 'entries[2] ("project_not_found")', field: 'title', problem: 'is required'
    })
  })

  t.test('an HTTP status out of range', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => { (data.entries[0] as YamlItem).http_status = 999 })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'), entry: 'entries[0] ("scope_insufficient")', field: 'http_status', problem: /999/
    })
  })

  t.test('a missing taxonomy file', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await rm(join(dir, TAXONOMY_FILE))
    expectError(t, await loadError(dir), { file: join(dir, 'taxonomy.yaml'), entry: null, field: null, problem: 'the taxonomy file is missing' })
  })

  t.test('a taxonomy missing a normalized code', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlTaxonomy>(dir, TAXONOMY_FILE, (data) => { data.codes = data.codes.filter((code) => code.code !== 'not_implemented') })
    expectError(t, await loadError(dir), {
      file: join(dir, 'taxonomy.yaml'), entry: null, field: 'codes', problem: 'must define every normalized code; missing not_implemented'
    })
  })

  t.test('a taxonomy code defined twice', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlTaxonomy>(dir, TAXONOMY_FILE, (data) => {
      at = data.codes.length
      data.codes.push({ ...(data.codes[indexOfCode(data.codes, 'internal')] as YamlItem) })
    })
    expectError(t, await loadError(dir), { file: join(dir, 'taxonomy.yaml'), entry: `codes[${at}] ("internal")`, field: 'code', problem: 'appears twice' })
  })

  t.test('a taxonomy code with an inconsistent default retry', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlTaxonomy>(dir, TAXONOMY_FILE, (data) => {
      at = indexOfCode(data.codes, 'internal')
      ;(data.codes[at] as YamlItem).retry = { retryable: true, strategy: 'exponential_backoff', max_attempts: 3, base_delay_ms: 9000, max_delay_ms: 8000 }
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'taxonomy.yaml'), entry: `codes[${at}] ("internal")`, field: 'retry.base_delay_ms', problem: 'must not exceed max_delay_ms'
    })
  })

  t.test('a file whose name does not match its id', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await rename(join(dir, 'onecli.yaml'), join(dir, 'one-cli.yaml'))
    expectError(t, await loadError(dir), {
      file: join(dir, 'one-cli.yaml'), entry: null, field: 'id', problem: 'the file of source "onecli" must be named onecli.yaml (or onecli.json)'
    })
  })

  t.test('a source id that is not a slug', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => { data.id = 'One CLI' })
    expectError(t, await loadError(dir), { file: join(dir, 'onecli.yaml'), entry: null, field: 'id', problem: /"One CLI"/ })
  })

  t.test('a retry override that is not retryable but backs off', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => {
      (data.entries[0] as YamlItem).retry = { retryable: false, strategy: 'exponential_backoff' }
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'),
      entry: 'entries[0] ("scope_insufficient")',
      field: 'retry',
      problem: 'a policy that is not retryable has strategy none and max_attempts 1'
    })
  })

  t.test('a retry override that makes a default policy inconsistent once merged', async (t) => {
    const dir = await copyCatalog(t.testdir())
    // scope_insufficient is permission_denied: strategy none by default.
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => { (data.entries[0] as YamlItem).retry = { retryable: true } })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'),
      entry: 'entries[0] ("scope_insufficient")',
      field: 'retry.strategy',
      problem: 'a retryable policy needs a strategy other than none'
    })
  })

  t.test('a retryable override with a single attempt', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'scaigrid.yaml', (data) => {
      at = indexOfCode(data.entries, 'BACKEND_TIMEOUT')
      ;(data.entries[at] as YamlItem).retry = { max_attempts: 1 }
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'scaigrid.yaml'),
      entry: `entries[${at}] ("BACKEND_TIMEOUT")`,
      field: 'retry.max_attempts',
      problem: 'a retryable policy allows at least 2 attempts'
    })
  })

  t.test('an unknown retry strategy', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => { (data.entries[0] as YamlItem).retry = { strategy: 'linear' } })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'),
      entry: 'entries[0] ("scope_insufficient")',
      field: 'retry.strategy',
      problem: 'must be one of none, retry_after, exponential_backoff (got "linear")'
    })
  })

  t.test('the same message on two entries', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      at = indexOfCode(data.entries, 'secret_not_found')
      ;(data.entries[at] as YamlItem).message = 'Agent not found'
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'), entry: `entries[${at}] ("secret_not_found")`, field: 'message', problem: 'the same message belongs to another entry'
    })
  })

  t.test('a type rule defined twice', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    let type = ''
    await editYaml<YamlSource>(dir, 'xerotier.yaml', (data) => {
      const types = data.types as YamlItem[]
      at = types.length
      type = (types[0] as YamlItem).type as string
      types.push({ ...(types[0] as YamlItem) })
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'xerotier.yaml'), entry: `types[${at}] (${JSON.stringify(type)})`, field: 'type', problem: 'appears twice in this source'
    })
  })

  t.test('a status row defined twice', async (t) => {
    const dir = await copyCatalog(t.testdir())
    let at = -1
    await editYaml<YamlSource>(dir, 'onecli.yaml', (data) => {
      const statuses = data.statuses as YamlItem[]
      at = statuses.length
      statuses.push({ ...(statuses[0] as YamlItem), code: 'bad_request_again' })
    })
    expectError(t, await loadError(dir), {
      file: join(dir, 'onecli.yaml'), entry: `statuses[${at}] ("bad_request_again")`, field: 'http_status', problem: 'appears twice in this source'
    })
  })

  t.test('a pattern rule with no prefix, suffix or contains', async (t) => {
    const dir = await copyCatalog(t.testdir())
    await editYaml<YamlSource>(dir, 'scaigrid.yaml', (data) => { delete ((data.patterns as YamlItem[])[0] as YamlItem).suffix })
    expectError(t, await loadError(dir), {
      file: join(dir, 'scaigrid.yaml'), entry: 'patterns[0] ("*_NOT_FOUND")', field: 'suffix', problem: 'a pattern needs at least one of prefix, suffix or contains'
    })
  })

  t.test('a missing directory', async (t) => {
    const dir = join(t.testdir(), 'no-such-catalog')
    expectError(t, await loadError(dir), { file: dir, entry: null, field: null, problem: 'cannot read the catalog directory (ENOENT)' })
  })

  t.test('a directory with the taxonomy and no source', async (t) => {
    const dir = t.testdir({ 'taxonomy.yaml': await readFile(join(CATALOG_DIR, TAXONOMY_FILE), 'utf8') })
    expectError(t, await loadError(dir), { file: dir, entry: null, field: null, problem: 'no source files (*.yaml or *.json) besides the taxonomy' })
  })
})

test('CatalogError composes its message from the parts it has', async (t) => {
  t.equal(new CatalogError('/c/x.yaml', 'entries[1] ("a")', 'title', 'is required').message, '/c/x.yaml: entries[1] ("a"): field "title": is required')
  t.equal(new CatalogError('/c/x.yaml', null, 'codes', 'bad').message, '/c/x.yaml: field "codes": bad')
  t.equal(new CatalogError('/c', null, null, 'gone').message, '/c: gone')
  const error = new CatalogError('/c', null, null, 'gone')
  t.ok(error instanceof Error)
  t.equal(error.problem, 'gone')
})

// ---------------------------------------------------------------- editor schemas

test('the committed editor JSON Schemas equal what json-schema.ts generates', async (t) => {
  const committed = (await readdir(join(CATALOG_DIR, 'schema'))).sort()
  t.same(committed, Object.keys(SCHEMA_FILES).sort(), 'one file per schema, no stale ones')
  for (const name of ['source.schema.json', 'taxonomy.schema.json']) {
    const text = await readFile(join(CATALOG_DIR, 'schema', name), 'utf8')
    t.equal(text, jsonSchemaText(name), `${name} is up to date (npm run catalog:schema)`)
    const schema = JSON.parse(text) as { $schema: string, $id: string, additionalProperties: boolean }
    t.equal(schema.$id, name)
    t.equal(schema.$schema, 'http://json-schema.org/draft-07/schema#')
    t.equal(schema.additionalProperties, false)
    t.notOk(text.slice(1).includes('"$id": "RetryPolicy"'), `${name}: nested ids are inlined away`)
  }
  t.throws(() => jsonSchemaText('nope.schema.json'), { message: 'no schema named nope.schema.json' })
})

test('each catalog file points editors at its schema', async (t) => {
  const names = (await readdir(CATALOG_DIR)).filter((name) => name.endsWith('.yaml')).sort()
  t.same(names, [...SOURCE_IDS.map((id) => `${id}.yaml`), TAXONOMY_FILE].sort())
  for (const name of names) {
    const first = (await readFile(join(CATALOG_DIR, name), 'utf8')).split('\n')[0]
    const schema = name === TAXONOMY_FILE ? 'taxonomy.schema.json' : 'source.schema.json'
    t.equal(first, `# yaml-language-server: $schema=./schema/${schema}`, name)
  }
})

test('a catalog file larger than the bound is refused before it is read', async (t) => {
  const dir = t.testdir({ 'taxonomy.yaml': await readFile(join(CATALOG_DIR, 'taxonomy.yaml'), 'utf8') })
  const size = (await readFile(join(dir, 'taxonomy.yaml'))).length
  await t.rejects(loadCatalog(dir, { maxFileBytes: size - 1 }),
    { name: 'CatalogError', message: `${join(dir, 'taxonomy.yaml')}: is larger than ${size - 1} bytes; set CATALOG_FILE_LIMIT_BYTES to allow it` })
  await t.rejects(loadCatalog(dir, { maxFileBytes: size }), { name: 'CatalogError', problem: 'no source files (*.yaml or *.json) besides the taxonomy' }, 'a file of exactly the bound is read')
})

test('a catalog name that is no regular file (a directory, a FIFO) is refused with a CatalogError, never read', async (t) => {
  const dir = t.testdir({ 'taxonomy.yaml': await readFile(join(CATALOG_DIR, 'taxonomy.yaml'), 'utf8'), 'x.yaml': {} })
  await t.rejects(loadCatalog(dir), { name: 'CatalogError', message: `${join(dir, 'x.yaml')}: is not a regular file` }, 'a directory named x.yaml')
  const fifoDir = t.testdir({ 'taxonomy.yaml': await readFile(join(CATALOG_DIR, 'taxonomy.yaml'), 'utf8') })
  // Node has no mkfifo; coreutils does, where it is installed.
  const made = spawnSync('mkfifo', [join(fifoDir, 'y.yaml')])
  if (made.status !== 0) return
  await t.rejects(loadCatalog(fifoDir), { name: 'CatalogError', message: `${join(fifoDir, 'y.yaml')}: is not a regular file` }, 'a FIFO named y.yaml: refused, not waited on')
})

test('an entry may hold a message and a template, when the platform sends one error in both forms', async (t) => {
  const cloudflare = (await bundledCatalog()).sources.get('cloudflare')
  const entry = cloudflare?.byCode.get('1102')
  t.equal(entry?.kind, 'message', 'the exact message is its kind')
  t.equal(cloudflare?.byMessage.get('error code: 1102'), entry, 'its message finds it')
  t.equal(cloudflare?.templates.match('Worker exceeded resource limits | example.com | Cloudflare')?.template.entry, entry, 'so does its template')
})

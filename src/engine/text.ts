// Plain-text answers for people reading curl output in a terminal: aligned
// labels, wrapped to 80 columns, no control characters from upstream text.
import type { Entry, RetryPolicy, Source, TaxonomyCode } from '../catalog/schema.js'
import { describeDelay } from './retry.js'
import type { Classification, RetryAdvice } from './schemas.js'

export const TEXT_WIDTH = 80
const LABEL_WIDTH = 13
const INDENT = '  '

/** Drops control characters (an upstream message must not move a terminal's cursor). */
function clean (text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/g, ' ')
}

/**
 * Greedy word wrap. A word longer than the width (a URL, a JSON example) gets
 * a line of its own and is never cut: a cut token cannot be copied back.
 */
export function wrap (text: string, width: number): string[] {
  const lines: string[] = []
  for (const paragraph of clean(text).split('\n')) {
    let line = ''
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line === '') line = word
      else if (line.length + 1 + word.length <= width) line += ' ' + word
      else { lines.push(line); line = word }
    }
    lines.push(line)
  }
  return lines
}

function field (label: string, value: string): string {
  const width = TEXT_WIDTH - INDENT.length - LABEL_WIDTH
  const [first = '', ...rest] = wrap(value, width)
  const pad = ' '.repeat(INDENT.length + LABEL_WIDTH)
  // A label as wide as its column (a long template placeholder) stands on a line of its own.
  const head = label.length < LABEL_WIDTH ? [INDENT + label.padEnd(LABEL_WIDTH) + first] : [INDENT + label, pad + first]
  return [...head, ...rest.map((line) => pad + line)].join('\n')
}

function backoff (baseMs: number, maxMs: number): string {
  return `backing off from ${describeDelay(baseMs)} to ${describeDelay(maxMs)} with jitter`
}

export function describeRetry (retry: Pick<RetryPolicy, 'retryable' | 'strategy' | 'max_attempts' | 'base_delay_ms' | 'max_delay_ms'>): string {
  if (!retry.retryable) return 'no'
  const attempts = `up to ${retry.max_attempts} attempts in all`
  if (retry.strategy === 'retry_after') return `yes, after the delay the upstream names (else ${backoff(retry.base_delay_ms, retry.max_delay_ms)}), ${attempts}`
  return `yes, ${backoff(retry.base_delay_ms, retry.max_delay_ms)}, ${attempts}`
}

/** What to do, from the advice's fields: the delay itself when the upstream named one; its reason says why. */
function retryAction (retry: RetryAdvice): string {
  if (!retry.retryable || retry.strategy !== 'retry_after' || retry.delay_ms === null) return describeRetry(retry)
  return `yes, in ${describeDelay(retry.delay_ms)}, up to ${retry.max_attempts} attempts in all`
}

function heading (text: string): string {
  return wrap(text, TEXT_WIDTH).join('\n')
}

export function renderEntry (entry: Entry): string {
  const inferred = new Set(entry.inferred ?? [])
  const mark = (name: string): string => (inferred.has(name) ? ' (inferred)' : '')
  const kind = entry.kind === 'code' ? '' : ` [${entry.kind}]`
  const lines = [
    heading(`${entry.code}${kind}  (${entry.source})`),
    ...wrap(entry.title, TEXT_WIDTH - INDENT.length).map((line) => INDENT + line),
    '',
    field('Normalized', entry.normalized_code + mark('normalized_code')),
    field('HTTP status', (entry.http_status === null ? 'varies' : String(entry.http_status)) + mark('http_status'))
  ]
  if (entry.type !== undefined) lines.push(field('Type', entry.type))
  if (entry.message !== undefined) lines.push(field('Message', entry.message))
  if (entry.template !== undefined) lines.push(field('Template', entry.template))
  lines.push(field('Retry', describeRetry(entry.retry) + mark('retry')))
  lines.push(field('Meaning', entry.description))
  lines.push(field('Action', entry.remediation.action))
  lines.push(field('Diagnostic', entry.remediation.diagnostic ?? 'none published'))
  if (entry.notes !== undefined) lines.push(field('Notes', entry.notes))
  return lines.join('\n')
}

export function renderEntries (entries: readonly Entry[], header: string): string {
  return [heading(header), ...entries.map((entry) => '\n' + renderEntry(entry))].join('\n') + '\n'
}

export function renderLookup (result: { query: string, matches: readonly Entry[] }): string {
  const count = result.matches.length
  return renderEntries(result.matches, `${count} match${count === 1 ? '' : 'es'} for "${result.query}"`)
}

const COLUMN_GAP = '  '
const TITLE_INDENT = '    '

/**
 * Search results as a table: source, code, status and normalized code, with
 * each title under its row. The code column is as wide as the page's codes
 * allow within 80 columns; a longer code takes a line of its own, and the
 * row's other cells follow, aligned, on the next.
 */
export function renderSearch (items: readonly Entry[], total: number, offset: number): string {
  const shown = items.length === 0 ? (total === 0 ? '' : `, none from ${offset + 1} on`) : total > items.length ? `, showing ${offset + 1}-${offset + items.length}` : ''
  const lines = [`${total} entries${shown}`]
  if (items.length === 0) return lines.join('\n') + '\n'
  const heads = ['SOURCE', 'CODE', 'HTTP', 'NORMALIZED'] as const
  const rows = items.map((entry) => [entry.source, entry.code, entry.http_status === null ? '-' : String(entry.http_status), entry.normalized_code])
  const widths = heads.map((head, column) => Math.max(head.length, ...rows.map((row) => (row[column] as string).length)))
  const [sourceWidth, codeWidth, statusWidth, normalizedWidth] = widths as [number, number, number, number]
  const room = TEXT_WIDTH - sourceWidth - statusWidth - normalizedWidth - 3 * COLUMN_GAP.length
  const codeColumn = Math.max(heads[1].length, Math.min(codeWidth, room))
  const cells = (row: readonly string[]): string =>
    [(row[0] as string).padEnd(sourceWidth), (row[1] as string).padEnd(codeColumn), (row[2] as string).padEnd(statusWidth), row[3] as string].join(COLUMN_GAP)
  lines.push('', cells(heads))
  items.forEach((entry, index) => {
    const row = rows[index] as string[]
    if ((row[1] as string).length > codeColumn) {
      lines.push(row[0]?.padEnd(sourceWidth) + COLUMN_GAP + (row[1] as string))
      lines.push(cells(['', '', row[2] as string, row[3] as string]))
    } else {
      lines.push(cells(row))
    }
    lines.push(...wrap(entry.title, TEXT_WIDTH - TITLE_INDENT.length).map((line) => TITLE_INDENT + line))
  })
  return lines.join('\n') + '\n'
}

export function renderSources (sources: readonly Source[]): string {
  return sources.map((source) => [
    heading(`${source.id}  ${source.name}  (${source.entry_count} entries)`),
    field('Docs', source.docs.join(' ')),
    field('Envelope', source.envelope),
    ...(source.diagnostic_tool === null ? [] : [field('CLI', source.diagnostic_tool)])
  ].join('\n')).join('\n\n') + '\n'
}

export function renderTaxonomy (codes: readonly TaxonomyCode[]): string {
  return codes.map((code) => [
    heading(`${code.code}  (HTTP ${code.http_status.length === 0 ? '-' : code.http_status.join(', ')}, gRPC ${code.grpc_code})`),
    field('Meaning', code.meaning),
    field('Retry', describeRetry(code.retry)),
    field('Action', code.remediation.action)
  ].join('\n')).join('\n\n') + '\n'
}

export function renderClassification (result: Classification): string {
  const lines = [
    heading(`${result.normalized_code}  (${result.source ?? 'source unknown'}${result.code === null ? '' : ` / ${result.code}`}, matched by ${result.matched_by})`),
    ''
  ]
  if (result.http_status !== null) lines.push(field('HTTP status', String(result.http_status)))
  if (result.message !== null) lines.push(field('Message', result.message))
  for (const [name, value] of Object.entries(result.params)) lines.push(field(`{${name}}`, value))
  if (result.request_id !== null) lines.push(field('Request id', result.request_id))
  if (result.source === null && result.candidates.length > 1) lines.push(field('Could be', result.candidates.join(', ')))
  if (result.evidence.length > 0) lines.push(field('Evidence', result.evidence.join('; ')))
  lines.push(field('Retry', retryAction(result.retry)))
  lines.push(field('Why', result.retry.reason))
  lines.push(field('Action', result.remediation.action))
  lines.push(field('Diagnostic', result.remediation.diagnostic ?? 'none published'))
  return lines.join('\n') + '\n'
}

/** "a", "a or b", "a, b or c". */
function orList (values: readonly string[]): string {
  return values.length <= 1 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1) as string}`
}

export function renderProblem (problem: { title: string, detail: string, suggestions?: string[] | undefined, valid_values?: string[] | undefined, request_id: string }): string {
  const lines = [heading(`${problem.title}: ${problem.detail}`)]
  if (problem.suggestions !== undefined && problem.suggestions.length > 0) {
    lines.push(...wrap(`Did you mean ${orList(problem.suggestions)}?`, TEXT_WIDTH - INDENT.length).map((line) => INDENT + line))
  }
  if (problem.valid_values !== undefined && problem.valid_values.length > 0 && !problem.detail.includes(problem.valid_values.join(', '))) {
    lines.push(field('Valid values', problem.valid_values.join(', ')))
  }
  if (problem.request_id !== '') lines.push(field('Request id', problem.request_id))
  return lines.join('\n') + '\n'
}

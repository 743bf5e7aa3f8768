// Message templates such as `Unknown provider: {provider}`. They are matched on
// their literal pieces with indexOf, never through a regular expression built
// from catalog text, so a hostile 1 MiB message costs linear time.
import type { Entry } from './types.js'

export interface ParsedTemplate {
  /** Literal pieces around the placeholders: always names.length + 1 of them. */
  literals: string[]
  names: string[]
}

export class TemplateSyntaxError extends Error {
  override name = 'TemplateSyntaxError'
}

const placeholderName = /^[A-Za-z_][A-Za-z0-9_]*$/

/** Splits `a {x} b {y}` into literals ['a ', ' b ', ''] and names ['x', 'y']. */
export function parseTemplate (template: string): ParsedTemplate {
  const literals: string[] = []
  const names: string[] = []
  let literal = ''
  let i = 0
  while (i < template.length) {
    const ch = template[i] as string
    if (ch === '}') throw new TemplateSyntaxError(`unmatched "}" at offset ${i}`)
    if (ch !== '{') {
      literal += ch
      i++
      continue
    }
    const close = template.indexOf('}', i)
    if (close === -1) throw new TemplateSyntaxError(`unclosed "{" at offset ${i}`)
    const name = template.slice(i + 1, close)
    if (!placeholderName.test(name)) throw new TemplateSyntaxError(`placeholder "{${name}}" is not an identifier`)
    if (names.includes(name)) throw new TemplateSyntaxError(`placeholder "{${name}}" appears twice`)
    if (names.length > 0 && literal === '') throw new TemplateSyntaxError(`placeholders next to each other before "{${name}}"`)
    literals.push(literal)
    names.push(name)
    literal = ''
    i = close + 1
  }
  literals.push(literal)
  if (names.length === 0) throw new TemplateSyntaxError('a template needs at least one {placeholder}; use message for a fixed text')
  if (literals[0] === '' && literals[literals.length - 1] === '') {
    throw new TemplateSyntaxError('a template must begin or end with literal text, so it can be indexed')
  }
  return { literals, names }
}

/**
 * Matches a message against a template. Each placeholder captures at least one
 * character. Middle literals are found leftmost-first, which finds a match
 * whenever one exists because placeholders accept any text.
 */
export function matchTemplate (parsed: ParsedTemplate, message: string): Record<string, string> | null {
  const { literals, names } = parsed
  const head = literals[0] as string
  const tail = literals[literals.length - 1] as string
  if (message.length < head.length + tail.length + names.length) return null
  if (!message.startsWith(head) || !message.endsWith(tail)) return null
  const end = message.length - tail.length
  const params: Record<string, string> = {}
  let position = head.length
  for (let k = 0; k < names.length; k++) {
    const isLast = k === names.length - 1
    let next: number
    if (isLast) {
      next = end
    } else {
      const literal = literals[k + 1] as string
      next = message.indexOf(literal, position + 1)
      if (next === -1 || next + literal.length > end) return null
    }
    if (next <= position) return null
    params[names[k] as string] = message.slice(position, next)
    position = isLast ? next : next + (literals[k + 1] as string).length
  }
  return params
}

/** A template rendered with a sample value per placeholder, used to detect overlaps. */
export function sampleOf (parsed: ParsedTemplate): string {
  let sample = parsed.literals[0] as string
  for (let k = 0; k < parsed.names.length; k++) sample += 'x' + (parsed.literals[k + 1] as string)
  return sample
}

export interface CompiledTemplate {
  parsed: ParsedTemplate
  entry: Entry
  /** Position in catalog order, the tie-breaker between equally specific templates. */
  order: number
}

/** More literal text is more specific: `Unknown provider: {p}` beats `{field} is required`. */
function specificity (parsed: ParsedTemplate): number {
  return parsed.literals.reduce((sum, literal) => sum + literal.length, 0)
}

/**
 * The templates of one source, most specific first (then in catalog order),
 * so the first that matches a message is the one that wins.
 */
export class TemplateIndex {
  readonly #templates: readonly CompiledTemplate[]

  constructor (templates: readonly CompiledTemplate[]) {
    this.#templates = Object.freeze([...templates].sort((a, b) => specificity(b.parsed) - specificity(a.parsed) || a.order - b.order))
    Object.freeze(this)
  }

  get size (): number {
    return this.#templates.length
  }

  /** The most specific template that matches the message, earliest in catalog order on a tie. */
  match (message: string): { template: CompiledTemplate, params: Record<string, string> } | null {
    for (const template of this.#templates) {
      const params = matchTemplate(template.parsed, message)
      if (params !== null) return { template, params }
    }
    return null
  }

  /** Every template that matches the message in full. */
  matchAll (message: string): CompiledTemplate[] {
    return this.#templates.filter((template) => matchTemplate(template.parsed, message) !== null)
  }
}

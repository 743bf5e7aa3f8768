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

/** A character trie over literal anchors; each node holds the templates whose anchor ends there. */
interface TrieNode {
  next: Map<string, TrieNode>
  templates: CompiledTemplate[]
}

function trieNode (): TrieNode {
  return { next: new Map(), templates: [] }
}

/**
 * Templates indexed by a literal anchor: the leading literal, or for a template
 * that starts with a placeholder, its trailing literal read backwards. A lookup
 * walks the message's first (or last) characters down a trie, so it touches at
 * most as many characters as the longest anchor and only the templates whose
 * anchor the message really has. A plain scan of every template missed the
 * benchmark's target that a classification cost less than 1.5 times as much
 * with a catalog 100 times the size (bench/README.md).
 */
export class TemplateIndex {
  private readonly heads = trieNode()
  private readonly tails = trieNode()
  readonly size: number

  constructor (templates: readonly CompiledTemplate[]) {
    for (const template of templates) {
      const head = template.parsed.literals[0] as string
      const tail = template.parsed.literals[template.parsed.literals.length - 1] as string
      if (head !== '') insert(this.heads, head, template, false)
      else insert(this.tails, tail, template, true)
    }
    this.size = templates.length
    Object.freeze(this)
  }

  /** Every template whose anchor the message has, whether or not it matches in full. */
  private candidates (message: string, visit: (template: CompiledTemplate) => void): void {
    walk(this.heads, message, false, visit)
    walk(this.tails, message, true, visit)
  }

  /** The most specific template that matches the message, earliest in catalog order on a tie. */
  match (message: string): { template: CompiledTemplate, params: Record<string, string> } | null {
    let best: { template: CompiledTemplate, params: Record<string, string>, specificity: number } | null = null
    this.candidates(message, (template) => {
      const mine = specificity(template.parsed)
      if (best !== null && (mine < best.specificity || (mine === best.specificity && template.order > best.template.order))) return
      const params = matchTemplate(template.parsed, message)
      if (params !== null) best = { template, params, specificity: mine }
    })
    if (best === null) return null
    const { template, params } = best
    return { template, params }
  }

  /** Every template that matches the message in full. */
  matchAll (message: string): CompiledTemplate[] {
    const matches: CompiledTemplate[] = []
    this.candidates(message, (template) => {
      if (matchTemplate(template.parsed, message) !== null) matches.push(template)
    })
    return matches
  }
}

function insert (root: TrieNode, anchor: string, template: CompiledTemplate, backwards: boolean): void {
  let node = root
  for (let i = 0; i < anchor.length; i++) {
    const ch = anchor[backwards ? anchor.length - 1 - i : i] as string
    let child = node.next.get(ch)
    if (child === undefined) {
      child = trieNode()
      node.next.set(ch, child)
    }
    node = child
  }
  node.templates.push(template)
}

function walk (root: TrieNode, message: string, backwards: boolean, visit: (template: CompiledTemplate) => void): void {
  let node: TrieNode | undefined = root
  for (let i = 0; i < message.length && node !== undefined; i++) {
    node = node.next.get(message[backwards ? message.length - 1 - i : i] as string)
    if (node !== undefined) for (const template of node.templates) visit(template)
  }
}

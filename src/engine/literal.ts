// Reads an object as an SDK prints an error body in its exception text: JSON,
// a Python dict repr ({'error': {'code': None}}) or a JavaScript object
// literal as util.inspect writes it ({ error: { code: '429' } }). One linear
// pass with bounded depth; anything else is no literal.

export type LiteralResult = { ok: true, value: Record<string, unknown>, end: number } | { ok: false }

const BARE_WORDS: Record<string, unknown> = { None: null, null: null, undefined: null, True: true, true: true, False: false, false: false }
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', 0: '\0' }
const NUMBER = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/
const WORD = /^[A-Za-z_$][A-Za-z0-9_$]*/
const INSPECT_MARKER = /^\[(?:Object|Array|Circular \*\d{1,6}|Function(?:: [\w$.]{1,48})?|Getter|Setter|Getter\/Setter)\]/

class NoLiteral extends Error {}

/** The object literal that starts at `start` (a "{"), read up to its closing brace. */
export function parseObjectLiteral (text: string, start: number, maxDepth: number): LiteralResult {
  let at = start
  const fail = (): never => { throw new NoLiteral() }
  const skipSpace = (): void => { while (at < text.length && /\s/.test(text[at] as string)) at++ }

  const readString = (): string => {
    const quote = text[at++]
    let out = ''
    while (at < text.length) {
      const ch = text[at++] as string
      if (ch === quote) return out
      if (ch !== '\\') { out += ch; continue }
      const next = text[at++] ?? fail()
      if (next === 'x' || next === 'u') {
        const width = next === 'x' ? 2 : 4
        const hex = text.slice(at, at + width)
        if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== width) fail()
        out += String.fromCharCode(parseInt(hex, 16))
        at += width
      } else {
        out += ESCAPES[next] ?? next
      }
    }
    return fail()
  }

  // util.inspect splits a long string into 'first part ' +\n 'second part'.
  const readJoinedString = (): string => {
    let joined = readString()
    for (;;) {
      const before = at
      skipSpace()
      if (text[at] !== '+') { at = before; return joined }
      at++
      skipSpace()
      if (text[at] !== '\'' && text[at] !== '"') return fail()
      joined += readString()
    }
  }

  const readValue = (depth: number): unknown => {
    skipSpace()
    const ch = text[at]
    if (ch === '\'' || ch === '"') return readJoinedString()
    const rest = text.slice(at, at + 64)
    if (ch === '[') {
      // util.inspect's stand-ins for what it does not print: [Object], [Array], [Circular *1], [Function: f].
      const marker = INSPECT_MARKER.exec(rest)
      if (marker !== null) { at += marker[0].length; return null }
    }
    if (ch === '{' || ch === '[') return readContainer(depth + 1)
    const number = NUMBER.exec(rest)
    if (number !== null) { at += number[0].length; return Number(number[0]) }
    const word = WORD.exec(rest)
    if (word === null || !Object.hasOwn(BARE_WORDS, word[0])) return fail()
    at += word[0].length
    return BARE_WORDS[word[0]]
  }

  const readKey = (): string => {
    skipSpace()
    const ch = text[at]
    if (ch === '\'' || ch === '"') return readString()
    const word = WORD.exec(text.slice(at, at + 128)) ?? fail()
    at += word[0].length
    return word[0]
  }

  const readContainer = (depth: number): unknown => {
    if (depth > maxDepth) fail()
    const isObject = text[at++] === '{'
    const close = isObject ? '}' : ']'
    const object: Record<string, unknown> = {}
    const list: unknown[] = []
    skipSpace()
    if (text[at] === close) { at++; return isObject ? object : list }
    for (;;) {
      if (isObject) {
        const key = readKey()
        skipSpace()
        if (text[at++] !== ':') fail()
        // Own data properties only: a key named __proto__ is data, never a prototype.
        Object.defineProperty(object, key, { value: readValue(depth), enumerable: true, writable: true, configurable: true })
      } else {
        list.push(readValue(depth))
      }
      skipSpace()
      const next = text[at++]
      if (next === close) return isObject ? object : list
      if (next !== ',') fail()
      skipSpace()
      // A trailing comma, as Python and JavaScript allow.
      if (text[at] === close) { at++; return isObject ? object : list }
    }
  }

  try {
    if (text[at] !== '{') return { ok: false }
    const value = readContainer(1) as Record<string, unknown>
    return { ok: true, value, end: at }
  } catch (error) {
    if (error instanceof NoLiteral) return { ok: false }
    throw error
  }
}

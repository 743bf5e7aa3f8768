// JSON text for strings, written by hand where JSON.stringify would be called
// once per string: the answers (render/json.ts) and the completion line
// (logging.ts) are joined from pieces like these.

/**
 * What JSON.stringify escapes in a string: the quote, the backslash, control
 * characters and lone surrogates. Any surrogate sends the string the slow way,
 * so a well-formed pair is left to JSON.stringify too.
 */
// eslint-disable-next-line no-control-regex -- control characters are exactly what must be found
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/

/**
 * JSON.stringify's rendering of a string. Most strings need no escaping, and
 * quoting those by hand skips a call into the whole JSON serializer for each:
 * about 0.7 µs per answer under load when the message holds a character past
 * U+00FF, measured in the running service.
 */
export function jsonString (value: string): string {
  return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : '"' + value + '"'
}

/** False when the string goes between quotes as it is. */
export function needsEscape (value: string): boolean {
  return NEEDS_ESCAPE.test(value)
}

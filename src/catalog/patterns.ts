// Pattern rules match codes the catalog does not list one by one, with plain
// string tests (no regular expressions built from catalog text).
import type { Entry } from './types.js'

export interface PatternRule {
  /** Affixes are stored lowercased when ignoreCase is set, so matching lowercases only the code. */
  prefix?: string
  suffix?: string
  contains?: string
  ignoreCase: boolean
  /** A code must be longer than its affixes: `_NOT_FOUND` alone is no instance of `*_NOT_FOUND`. */
  minLength: number
  entry: Entry
}

export function buildPatternRule (
  spec: { prefix?: string, suffix?: string, contains?: string, ignore_case?: boolean },
  entry: Entry
): PatternRule {
  const ignoreCase = spec.ignore_case === true
  const fold = (s: string | undefined): string | undefined => (ignoreCase ? s?.toLowerCase() : s)
  return {
    prefix: fold(spec.prefix),
    suffix: fold(spec.suffix),
    contains: fold(spec.contains),
    ignoreCase,
    minLength: (spec.prefix?.length ?? 0) + (spec.suffix?.length ?? 0) + 1,
    entry
  }
}

export function patternMatches (rule: PatternRule, code: string): boolean {
  if (code.length < rule.minLength) return false
  const subject = rule.ignoreCase ? code.toLowerCase() : code
  if (rule.prefix !== undefined && !subject.startsWith(rule.prefix)) return false
  if (rule.suffix !== undefined && !subject.endsWith(rule.suffix)) return false
  if (rule.contains !== undefined && !subject.includes(rule.contains)) return false
  return true
}

export function firstMatchingPattern (rules: readonly PatternRule[], code: string): PatternRule | undefined {
  return rules.find((rule) => patternMatches(rule, code))
}

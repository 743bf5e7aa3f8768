// Phrasings that identify an error whatever platform sent it, matched as
// plain lowercase substrings. The context-window phrasings are the ones
// LiteLLM's exception mapping recognises across providers.
import type { NormalizedCode } from '../catalog/schema.js'
import { MESSAGE_SCAN_LIMIT } from './limits.js'

export interface MessagePattern {
  name: string
  normalized: NormalizedCode
  phrases: readonly string[]
  /** Statuses the phrase is trusted with; null means also when no status is known. */
  statuses: ReadonlyArray<number | null>
}

export const MESSAGE_PATTERNS: readonly MessagePattern[] = [
  {
    name: 'context_window',
    normalized: 'context_length_exceeded',
    phrases: [
      'maximum context length',
      'context length exceeded',
      'context_length_exceeded',
      'context window',
      'prompt is too long',
      'input is too long for requested model',
      'too many tokens',
      'exceeds the maximum number of tokens',
      "model's maximum context limit",
      'input tokens exceed the configured limit'
    ],
    // A stray phrase in a 5xx body is no reason to blame the input.
    statuses: [null, 400, 413, 422]
  },
  {
    name: 'rate_limit',
    normalized: 'rate_limited',
    phrases: ['rate limit', 'rate-limit', 'too many requests'],
    // Only where the status agrees or is unknown: never a stray "429" or phrase in a 400 body.
    statuses: [null, 429]
  },
  {
    name: 'quota',
    normalized: 'quota_exceeded',
    phrases: ['insufficient_quota', 'quota exceeded', 'exceeded your current quota', 'billing'],
    statuses: [null, 402, 403, 429]
  },
  {
    name: 'timeout',
    normalized: 'timeout',
    phrases: ['timed out', 'timeout'],
    statuses: [null, 408, 500, 502, 503, 504]
  }
]

export function matchMessagePattern (message: string, status: number | null): MessagePattern | null {
  const lower = (message.length > MESSAGE_SCAN_LIMIT ? message.slice(0, MESSAGE_SCAN_LIMIT) : message).toLowerCase()
  for (const pattern of MESSAGE_PATTERNS) {
    if (!pattern.statuses.includes(status)) continue
    if (pattern.phrases.some((phrase) => lower.includes(phrase))) return pattern
  }
  return null
}

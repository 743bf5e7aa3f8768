// Phrasings that identify an error whatever platform sent it, matched as
// plain lowercase substrings. The context-window phrasings are the ones
// LiteLLM's exception mapping and pi-mono's overflow detection
// (packages/ai/src/utils/overflow.ts) recognise across providers, such as
// xAI's, Groq's, llama.cpp's and LM Studio's.
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
      'input tokens exceed the configured limit',
      'maximum prompt length is',
      'reduce the length of the messages',
      'exceeds the available context size',
      'greater than the context length',
      'exceeded model token limit'
    ],
    // A stray phrase in a 5xx body is no reason to blame the input.
    statuses: [null, 400, 413, 422]
  },
  {
    // A rejected or missing credential, sent with a 400 or a 403: as the LLM APIs that copy one another's errors
    // word it (xAI's "Incorrect API key provided: ..."), and as Django REST framework's NotAuthenticated does
    // when no WWW-Authenticate header can be sent. A 401 already says as much.
    name: 'credentials',
    normalized: 'unauthenticated',
    phrases: ['incorrect api key provided', 'invalid api key', 'authentication credentials were not provided'],
    statuses: [null, 400, 403]
  },
  {
    name: 'rate_limit',
    normalized: 'rate_limited',
    phrases: ['rate limit', 'rate-limit', 'ratelimit', 'too many requests'],
    // Only where the status agrees or is unknown, or on a 403 (some APIs send rate limits so): never a stray phrase in a 400 body.
    statuses: [null, 403, 429]
  },
  {
    name: 'quota',
    normalized: 'quota_exceeded',
    phrases: ['insufficient_quota', 'quota exceeded', 'exceeded your current quota'],
    statuses: [null, 403, 429]
  },
  {
    name: 'billing',
    normalized: 'billing',
    phrases: ['credit balance is too low', 'payment required', 'billing'],
    statuses: [null, 400, 402, 403, 429]
  },
  {
    name: 'overloaded',
    normalized: 'overloaded',
    phrases: ['overloaded', 'over capacity', 'high demand'],
    statuses: [null, 429, 500, 502, 503, 529]
  },
  {
    name: 'content_policy',
    normalized: 'content_policy',
    phrases: ['content management policy', 'content filter', 'content_filter', 'content policy', 'safety system', 'usage policies'],
    statuses: [null, 400, 403, 422]
  },
  {
    name: 'payload_too_large',
    normalized: 'payload_too_large',
    phrases: ['request entity too large', 'payload too large', 'request too large', 'body too large'],
    statuses: [null, 400, 413]
  },
  {
    name: 'timeout',
    normalized: 'timeout',
    phrases: ['timed out', 'timeout'],
    statuses: [null, 408, 500, 502, 503, 504]
  }
]

/** The first pattern whose statuses hold `status` and one of whose phrases the message has, with that phrase. */
export function matchMessagePattern (message: string, status: number | null): (MessagePattern & { phrase: string }) | null {
  const lower = (message.length > MESSAGE_SCAN_LIMIT ? message.slice(0, MESSAGE_SCAN_LIMIT) : message).toLowerCase()
  for (const pattern of MESSAGE_PATTERNS) {
    if (!pattern.statuses.includes(status)) continue
    const phrase = pattern.phrases.find((candidate) => lower.includes(candidate))
    if (phrase !== undefined) return { ...pattern, phrase }
  }
  return null
}

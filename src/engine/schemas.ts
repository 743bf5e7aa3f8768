// The engine's answers as TypeBox schemas: the library's types come from them
// through Static<>, and the HTTP routes serialize and document by them.
import { Type, type Static } from '@sinclair/typebox'
import { Entry, NormalizedCode, Remediation, RetryStrategy } from '../catalog/schema.js'
import { Nullable, StringEnum } from '../catalog/typebox.js'

export const MATCHED_BY = ['code', 'code_pattern', 'message', 'message_template', 'message_pattern', 'type', 'status', 'none'] as const
export const MatchedBy = StringEnum(MATCHED_BY, {
  description: 'What decided the normalized code: an exact code, a source\'s code pattern, an exact message, a message template, ' +
    'a phrasing any platform uses, the envelope type, the HTTP status, or nothing.'
})
export type MatchedBy = Static<typeof MatchedBy>

export const RetryAdvice = Type.Object({
  retryable: Type.Boolean(),
  strategy: RetryStrategy,
  delay_ms: Nullable(Type.Integer({ minimum: 0 }), { description: 'The wait the upstream asked for, when it named one.' }),
  max_attempts: Type.Integer({ minimum: 1, description: 'Attempts in all, the first call included.' }),
  base_delay_ms: Type.Integer({ minimum: 0 }),
  max_delay_ms: Type.Integer({ minimum: 0 }),
  reason: Type.String({ description: 'Why the policy is what it is, in one sentence.' })
}, { $id: 'ClassifyRetry' })
export type RetryAdvice = Static<typeof RetryAdvice>

export const Classification = Type.Object({
  normalized_code: Type.Ref(NormalizedCode),
  source: Nullable(Type.String()),
  code: Nullable(Type.String()),
  matched_by: MatchedBy,
  http_status: Nullable(Type.Integer()),
  message: Nullable(Type.String()),
  request_id: Nullable(Type.String()),
  params: Type.Record(Type.String(), Type.String()),
  candidates: Type.Array(Type.String(), {
    description: 'When the evidence fits several sources and settles none, the ids that fit, best first (source is then null); else empty, or the one source.'
  }),
  evidence: Type.Array(Type.String(), { description: 'What decided the source, the code and the delay, for the person reading the answer.' }),
  retry: Type.Ref(RetryAdvice),
  remediation: Type.Ref(Remediation)
}, { $id: 'Classification' })
export type Classification = Static<typeof Classification>

export const LookupResult = Type.Object({
  query: Type.String(),
  matches: Type.Array(Type.Ref(Entry))
}, { $id: 'LookupAnswer' })
export type LookupResult = Static<typeof LookupResult>

export const SearchResult = Type.Object({
  items: Type.Array(Type.Ref(Entry)),
  total: Type.Integer({ minimum: 0 })
}, { $id: 'SearchAnswer' })
export type SearchResult = Static<typeof SearchResult>

// The catalog's file format, as TypeBox schemas. The types come from Static<>,
// and `npm run catalog:schema` writes catalog/schema/*.json from these for editors.
import { Type, type Static } from '@sinclair/typebox'

export const NORMALIZED_CODES = [
  'invalid_request',
  'context_length_exceeded',
  'unauthenticated',
  'permission_denied',
  'not_found',
  'conflict',
  'failed_precondition',
  'rate_limited',
  'quota_exceeded',
  'unavailable',
  'timeout',
  'upstream_error',
  'not_implemented',
  'internal',
  'unknown'
] as const

export const NormalizedCode = Type.Union(NORMALIZED_CODES.map((code) => Type.Literal(code)), {
  $id: 'NormalizedCode',
  description: 'One of errcat\'s normalized error codes (see GET /taxonomy).'
})
export type NormalizedCode = Static<typeof NormalizedCode>

export const RETRY_STRATEGIES = ['none', 'retry_after', 'exponential_backoff'] as const
export const RetryStrategy = Type.Union(RETRY_STRATEGIES.map((s) => Type.Literal(s)))

const HttpStatus = Type.Integer({ minimum: 100, maximum: 599 })
const NonEmpty = Type.String({ minLength: 1 })

/** A complete retry policy: what a caller should do when it meets the error. */
export const RetryPolicy = Type.Object({
  retryable: Type.Boolean(),
  strategy: RetryStrategy,
  max_attempts: Type.Integer({ minimum: 1, maximum: 10, description: 'Attempts in all, the first call included.' }),
  base_delay_ms: Type.Integer({ minimum: 0 }),
  max_delay_ms: Type.Integer({ minimum: 0 })
}, { $id: 'RetryPolicy', additionalProperties: false })
export type RetryPolicy = Static<typeof RetryPolicy>

/** A catalog entry may override only some fields of its normalized code's default policy. */
export const RetryOverride = Type.Partial(RetryPolicy, { additionalProperties: false })
export type RetryOverride = Static<typeof RetryOverride>

export const Remediation = Type.Object({
  action: NonEmpty,
  diagnostic: Type.Union([NonEmpty, Type.Null()], { description: 'A command the platform really has, or null.' })
}, { $id: 'Remediation', additionalProperties: false })
export type Remediation = Static<typeof Remediation>

/** Where a fact comes from: the seed reference page, or the platform's public docs (shared platforms notes). */
export const Origin = Type.Union([Type.Literal('seed'), Type.Literal('platform_docs')])

/** Fields an entry may mark as inferred because no source states them. */
export const InferableField = Type.Union([
  Type.Literal('http_status'),
  Type.Literal('normalized_code'),
  Type.Literal('type'),
  Type.Literal('retry')
])

const EntryCommon = {
  normalized_code: NormalizedCode,
  http_status: Type.Union([HttpStatus, Type.Null()]),
  title: NonEmpty,
  description: NonEmpty,
  type: Type.Optional(NonEmpty),
  retry: Type.Optional(RetryOverride),
  remediation: Remediation,
  notes: Type.Optional(NonEmpty),
  // No uniqueItems: checking it hashes every array, a tenth of the boot time of a large catalog; the loader drops repeats.
  inferred: Type.Optional(Type.Array(InferableField, { minItems: 1 })),
  origin: Type.Optional(Origin)
}

/**
 * One error of a platform. `code` is the platform's exact spelling, or for
 * message-only platforms (onecli) a stable slug. `message` is an exact message;
 * `template` is a message with `{name}` placeholders.
 */
export const EntryFile = Type.Object({
  code: NonEmpty,
  ...EntryCommon,
  message: Type.Optional(NonEmpty),
  template: Type.Optional(NonEmpty)
}, { additionalProperties: false })
export type EntryFile = Static<typeof EntryFile>

/** An envelope `type` value, used when a body carries a type but no known code. */
export const TypeRuleFile = Type.Object({
  ...EntryCommon,
  type: NonEmpty
}, { additionalProperties: false })
export type TypeRuleFile = Static<typeof TypeRuleFile>

/**
 * A rule for codes the catalog does not list one by one, such as ScaiGrid's
 * `{MODULE}_{NAME}` module codes or Nullspace's fallbacks. `code` names the rule
 * (for example `*_NOT_FOUND`). At least one of prefix, suffix or contains is set,
 * and every one that is set must hold. Matching is case-sensitive unless
 * `ignore_case` is true. Rules are tried in file order; the first that holds wins.
 */
export const PatternRuleFile = Type.Object({
  code: NonEmpty,
  suffix: Type.Optional(NonEmpty),
  prefix: Type.Optional(NonEmpty),
  contains: Type.Optional(NonEmpty),
  ignore_case: Type.Optional(Type.Boolean()),
  ...EntryCommon
}, { additionalProperties: false })
export type PatternRuleFile = Static<typeof PatternRuleFile>

/** A platform's guidance for a bare HTTP status (onecli publishes one row per status). */
export const StatusRuleFile = Type.Object({
  code: NonEmpty,
  ...EntryCommon,
  http_status: HttpStatus
}, { additionalProperties: false })
export type StatusRuleFile = Static<typeof StatusRuleFile>

export const SourceFile = Type.Object({
  id: Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }),
  name: NonEmpty,
  docs: Type.Array(NonEmpty, { minItems: 1 }),
  envelope: NonEmpty,
  diagnostic_tool: Type.Optional(NonEmpty),
  entries: Type.Array(EntryFile, { minItems: 1 }),
  types: Type.Optional(Type.Array(TypeRuleFile)),
  patterns: Type.Optional(Type.Array(PatternRuleFile)),
  statuses: Type.Optional(Type.Array(StatusRuleFile))
}, { $id: 'SourceFile', additionalProperties: false })
export type SourceFile = Static<typeof SourceFile>

export const TaxonomyCodeFile = Type.Object({
  code: NormalizedCode,
  meaning: NonEmpty,
  http_status: Type.Array(HttpStatus),
  grpc_code: NonEmpty,
  retry: RetryPolicy,
  retry_note: Type.Optional(NonEmpty),
  remediation: Remediation
}, { additionalProperties: false })
export type TaxonomyCodeFile = Static<typeof TaxonomyCodeFile>

export const TaxonomyFile = Type.Object({
  codes: Type.Array(TaxonomyCodeFile, { minItems: 1 })
}, { $id: 'TaxonomyFile', additionalProperties: false })
export type TaxonomyFile = Static<typeof TaxonomyFile>

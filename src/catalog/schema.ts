// The catalog as TypeBox schemas: the files people edit (validated at load,
// and written to catalog/schema/*.json for editors by `npm run catalog:schema`)
// and the catalog's answer shapes (an entry, a source, a normalized code).
// Every catalog type comes from these through Static<>.
import { Type, type Static } from '@sinclair/typebox'
import { Nullable, StringEnum } from './typebox.js'

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
  'overloaded',
  'content_policy',
  'payload_too_large',
  'cancelled',
  'upstream_unreachable',
  'gone',
  'billing',
  'unknown'
] as const

export const NormalizedCode = StringEnum(NORMALIZED_CODES, {
  $id: 'NormalizedCode',
  description: 'One of errcat\'s normalized error codes (see GET /taxonomy).'
})
export type NormalizedCode = Static<typeof NormalizedCode>

export const RETRY_STRATEGIES = ['none', 'retry_after', 'exponential_backoff'] as const
export const RetryStrategy = StringEnum(RETRY_STRATEGIES)
export type RetryStrategy = Static<typeof RetryStrategy>

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
  diagnostic: Nullable(NonEmpty, { description: 'A command the platform really has, or null.' })
}, { $id: 'Remediation', additionalProperties: false })
export type Remediation = Static<typeof Remediation>

/** A public https page: what a person reading the answer can open. */
const PublicPage = (description: string) => Type.String({ pattern: '^https://\\S+$', description })

export const ORIGINS = ['error_reference', 'platform_docs'] as const
/** Where an entry's facts come from: the platform's error-code reference page, or its other public documentation. */
export const Origin = StringEnum(ORIGINS, {
  description: 'error_reference: the platform\'s error-code reference page (its source\'s reference); platform_docs: its other public documentation.'
})
export type Origin = Static<typeof Origin>

/** Fields an entry may mark as inferred because no source states them. */
export const InferableField = StringEnum(['http_status', 'normalized_code', 'type', 'retry'])

/**
 * A sentence put before the entry's action when the upstream message names
 * something the action depends on, such as which of several surfaces
 * refused the call. The message may also show that the case is another
 * normalized code, as a quota whose limit is 0 is no rate limit a wait lifts.
 */
export const MessageHint = Type.Object({
  contains: Type.String({ minLength: 1, description: 'Text the upstream message contains, ignoring case.' }),
  action: Type.String({ minLength: 1, description: 'The sentence that goes before the entry\'s action.' }),
  /** The normalized code the message shows instead of the entry's; its default retry policy applies. */
  normalized_code: Type.Optional(NormalizedCode)
}, { additionalProperties: false })
export type MessageHint = Static<typeof MessageHint>

const EntryCommon = {
  normalized_code: NormalizedCode,
  http_status: Nullable(HttpStatus),
  title: NonEmpty,
  description: NonEmpty,
  type: Type.Optional(NonEmpty),
  retry: Type.Optional(RetryOverride),
  remediation: Remediation,
  message_hints: Type.Optional(Type.Array(MessageHint, { minItems: 1, description: 'Tried in order; the first whose text the message contains is used.' })),
  notes: Type.Optional(NonEmpty),
  reference: Type.Optional(PublicPage('The public page or source file this entry\'s facts come from, when it is not the source\'s reference page.')),
  // No uniqueItems: checking it hashes every array, which slows the boot of a large catalog; the loader drops repeats.
  inferred: Type.Optional(Type.Array(InferableField, { minItems: 1 })),
  origin: Type.Optional(Origin)
}

/**
 * One error of a platform. `code` is the platform's exact spelling, or for
 * message-only platforms a stable slug. `message` is an exact message;
 * `template` is a message with `{name}` placeholders. An entry has both when
 * the platform sends one error in two forms, as Cloudflare sends 1102 as
 * `error code: 1102` text and as a page titled by a template.
 */
export const EntryFile = Type.Object({
  code: NonEmpty,
  ...EntryCommon,
  message: Type.Optional(NonEmpty),
  template: Type.Optional(NonEmpty),
  page_code: Type.Optional(Type.Boolean({
    description: 'true: the source writes this code only on its own pages and texts (as Cloudflare\'s edge writes "error code: 1020"), so the same number in a JSON body\'s errors list, where its API numbers its errors apart, is not this error.'
  }))
}, { additionalProperties: false })
export type EntryFile = Static<typeof EntryFile>

/** An envelope `type` value, used when a body carries a type but no known code. */
export const TypeRuleFile = Type.Object({
  ...EntryCommon,
  type: NonEmpty
}, { additionalProperties: false })
export type TypeRuleFile = Static<typeof TypeRuleFile>

/**
 * A rule for codes the catalog does not list one by one, such as a
 * platform's `{MODULE}_{NAME}` module codes. `code` names the rule (for
 * example `*_NOT_FOUND`). At least one of prefix, suffix or contains is set,
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

/** A platform's guidance for a bare HTTP status. */
export const StatusRuleFile = Type.Object({
  code: NonEmpty,
  ...EntryCommon,
  http_status: HttpStatus,
  status_is_code: Type.Optional(Type.Boolean({
    description: 'The platform names this error by the status itself (as Cloudflare does its 52x), so an answer from this rule names the code even when the body does not.'
  }))
}, { additionalProperties: false })
export type StatusRuleFile = Static<typeof StatusRuleFile>

/** How errcat read a body: JSON (an SDK's printed JSON included), an SSE stream, an HTML page, XML, other text, or nothing. */
export const BODY_FORMATS = ['json', 'sse', 'html', 'xml', 'text', 'empty'] as const
export const BodyFormat = StringEnum(BODY_FORMATS)
export type BodyFormat = Static<typeof BodyFormat>

/**
 * Kinds of value a condition can ask for. `string` is a non-empty string;
 * `snake_case` is two words or more joined by underscores, in any case, such
 * as `rate_limited` or `QUOTA_EXCEEDED`; `upper_snake` is that in uppercase.
 */
export const VALUE_KINDS = ['string', 'object', 'array', 'number', 'boolean', 'snake_case', 'upper_snake'] as const
export const ValueKind = StringEnum(VALUE_KINDS)
export type ValueKind = Static<typeof ValueKind>

const BodyPath = Type.String({
  pattern: '^[A-Za-z_@$][A-Za-z0-9_@$-]*(\\.[A-Za-z_@$][A-Za-z0-9_@$-]*)*$',
  description: 'A dotted path into the JSON body, such as error.code.'
})

export const HeaderName = Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'A response header\'s name, in lowercase, without any x-upstream- prefix.' })

/**
 * One test of a response. A condition names one subject: a `path` into the
 * JSON body or a `header`, each with exactly one test; a text the raw body
 * contains (`body_contains`, case-sensitive); an event a server-sent event
 * stream carried (`sse_event`); the statuses the response may have
 * (`status_in`); or the formats its body may have been read as
 * (`body_format_in`). Header values are compared ignoring case.
 */
export const ConditionFile = Type.Object({
  path: Type.Optional(BodyPath),
  header: Type.Optional(HeaderName),
  body_contains: Type.Optional(Type.String({ minLength: 3 })),
  sse_event: Type.Optional(NonEmpty),
  status_in: Type.Optional(Type.Array(HttpStatus, { minItems: 1 })),
  body_format_in: Type.Optional(Type.Array(BodyFormat, { minItems: 1, uniqueItems: true })),
  is: Type.Optional(ValueKind),
  is_not: Type.Optional(ValueKind),
  present: Type.Optional(Type.Boolean({ description: 'true: the path or header holds a value, null included; false: it holds none.' })),
  equals: Type.Optional(Type.Union([Type.String(), Type.Number(), Type.Boolean()])),
  contains: Type.Optional(Type.String({ minLength: 1, description: 'A list that holds this string, or a string that contains it.' })),
  starts_with: Type.Optional(Type.String({ minLength: 1, description: 'A string that begins with this one.' }))
}, { additionalProperties: false })
export type ConditionFile = Static<typeof ConditionFile>

export const FINGERPRINT_STRENGTHS = ['mark', 'shape', 'transit', 'generic'] as const
export type FingerprintStrength = (typeof FINGERPRINT_STRENGTHS)[number]
/**
 * How a source's responses look. A `mark` is something only this source
 * sends when it answers itself: its own error page or body, or a header only
 * it sets. A `shape` is a layout it shares with others. A `transit` mark is a
 * header a proxy or CDN puts on every response that passes through it, its
 * own or not. A `generic` layout is one many systems use, in the catalog and
 * out of it ({"error":"Not Found"}, OpenAI's envelope): it names candidates
 * but never settles a source, which then takes a code or message only one
 * candidate holds. Marks decide first, then shapes; a transit mark counts only
 * when neither fits, for a response the proxy most likely wrote itself. When
 * several sources fit at the same strength, none of them settles the source.
 */
export const FingerprintFile = Type.Object({
  evidence: Type.String({ minLength: 1, description: 'What the fingerprint recognises, in a few words.' }),
  strength: Type.Optional(StringEnum(FINGERPRINT_STRENGTHS, { default: 'shape' })),
  all: Type.Array(ConditionFile, { minItems: 1, description: 'Every condition must hold.' }),
  any: Type.Optional(Type.Array(ConditionFile, { minItems: 1, description: 'At least one of these must hold too.' })),
  service: Type.Optional(Type.Boolean({
    description: 'true: a response this fits comes from a proxy source as the service called (a CDN\'s own API), so the answer does not call the error a proxy\'s.'
  }))
}, { additionalProperties: false })
export type FingerprintFile = Static<typeof FingerprintFile>

export const SOURCE_ROLES = ['service', 'proxy'] as const

export const RESET_FORMATS = ['seconds', 'unix_seconds', 'duration', 'timestamp'] as const
/**
 * A header that says when a rate limit resets, read for a 429 when no more
 * direct hint (Retry-After and its kin, the body) names a delay. Its format:
 * `seconds` from now, `unix_seconds` since the epoch, a `duration` such as
 * 6m0s, or an RFC 3339 `timestamp`. `remaining` names the header that counts
 * what is left of that limit: a limit at 0 is the one that was hit.
 */
export const RateLimitResetFile = Type.Object({
  header: HeaderName,
  remaining: Type.Optional(HeaderName),
  format: StringEnum(RESET_FORMATS)
}, { additionalProperties: false })
export type RateLimitReset = Static<typeof RateLimitResetFile>

export const SourceFile = Type.Object({
  id: Type.String({ pattern: '^[a-z][a-z0-9_-]*$' }),
  name: NonEmpty,
  reference: PublicPage('The platform\'s error-code reference page: where the entries of origin error_reference come from.'),
  docs: Type.Array(PublicPage('A public page of the platform\'s error documentation.'), { minItems: 1, description: 'The platform\'s public error documentation.' }),
  envelope: NonEmpty,
  diagnostic_tool: Type.Optional(NonEmpty),
  role: Type.Optional(StringEnum(SOURCE_ROLES, {
    default: 'service',
    description: 'service: an API or platform; proxy: a proxy, CDN or load balancer in front of one, whose own errors are not the service\'s.'
  })),
  fingerprints: Type.Optional(Type.Array(FingerprintFile, { minItems: 1 })),
  body_code_marks: Type.Optional(Type.Array(NonEmpty, {
    minItems: 1,
    maxItems: 16,
    description: 'Texts after which a body from this source names its code, such as "errorCode:" in a page\'s script; read only once the source is known.'
  })),
  body_code_paths: Type.Optional(Type.Array(BodyPath, {
    minItems: 1,
    maxItems: 16,
    description: 'Paths where a JSON body from this source names its code outside the usual error envelope, such as promptFeedback.blockReason; a path through a list reads its first item. Read only once the source is known.'
  })),
  code_headers: Type.Optional(Type.Array(HeaderName, { minItems: 1, description: 'Headers whose value names the error code (the text before any colon).' })),
  request_id_headers: Type.Optional(Type.Array(HeaderName, { minItems: 1, description: 'Headers that carry the source\'s request id, most specific first.' })),
  should_retry_headers: Type.Optional(Type.Array(HeaderName, { minItems: 1, description: 'Headers whose true or false says whether the source wants the call repeated, as x-should-retry does.' })),
  rate_limit_resets: Type.Optional(Type.Array(RateLimitResetFile, { minItems: 1 })),
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
  codes: Type.Array(TaxonomyCodeFile, { minItems: 1 }),
  common_codes: Type.Optional(Type.Array(Type.String({ pattern: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$', maxLength: 64 }), {
    uniqueItems: true,
    description: 'Error codes many systems send, in lower snake_case (the normalized codes count too): one source listing such a code is no sign that it sent it, so the code alone names no source. Compared ignoring case, with a camelCase boundary or any run of other characters read as _.'
  }))
}, { $id: 'TaxonomyFile', additionalProperties: false })
export type TaxonomyFile = Static<typeof TaxonomyFile>

// The catalog's answer shapes. Their $ids name them as OpenAPI components.

export const ENTRY_KINDS = ['code', 'message', 'template', 'type', 'pattern', 'status'] as const

/** One catalog entry as errcat answers it, its retry policy resolved against the taxonomy. */
export const Entry = Type.Object({
  source: Type.String(),
  code: Type.String({ description: 'The platform\'s exact spelling; for message entries, a stable slug; for pattern rules, the rule\'s name.' }),
  kind: StringEnum(ENTRY_KINDS, {
    description: 'What the entry matches: a code, an exact message, a message template, an envelope type, a code pattern, or a bare HTTP status.'
  }),
  normalized_code: Type.Ref(NormalizedCode),
  http_status: Nullable(Type.Integer()),
  title: Type.String(),
  description: Type.String(),
  retry: Type.Ref(RetryPolicy),
  remediation: Type.Ref(Remediation),
  origin: Origin,
  message: Type.Optional(Type.String()),
  template: Type.Optional(Type.String()),
  type: Type.Optional(Type.String({ description: 'The envelope type value that goes with this error.' })),
  notes: Type.Optional(Type.String()),
  reference: Type.Optional(Type.String({ description: 'The public page or source file this entry\'s facts come from, when it is not the source\'s reference page.' })),
  inferred: Type.Optional(Type.Array(Type.String(), { description: 'Fields no source states, inferred by errcat.' }))
}, { $id: 'Entry' })
export type Entry = Static<typeof Entry>
export type EntryKind = Entry['kind']

export const Source = Type.Object({
  id: Type.String(),
  name: Type.String(),
  reference: Type.String({ description: 'The platform\'s error-code reference page.' }),
  role: StringEnum(SOURCE_ROLES, { description: 'service: an API or platform; proxy: a proxy, CDN or load balancer in front of one.' }),
  docs: Type.Array(Type.String(), { description: 'The platform\'s public error documentation.' }),
  envelope: Type.String({ description: 'The shapes of the platform\'s error bodies.' }),
  diagnostic_tool: Nullable(Type.String(), { description: 'The platform\'s CLI named in diagnostics, if any.' }),
  entry_count: Type.Integer({ minimum: 0 })
}, { $id: 'Source' })
export type Source = Static<typeof Source>

export const TaxonomyCode = Type.Object({
  code: Type.Ref(NormalizedCode),
  meaning: Type.String(),
  http_status: Type.Array(Type.Integer()),
  grpc_code: Type.String(),
  retry: Type.Ref(RetryPolicy),
  retry_note: Type.Optional(Type.String()),
  remediation: Type.Ref(Remediation)
}, { $id: 'TaxonomyCode' })
export type TaxonomyCode = Static<typeof TaxonomyCode>

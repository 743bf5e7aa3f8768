// Shared HTTP schemas. Each has an $id, is registered once with app.addSchema,
// and is referenced by routes with Type.Ref, so OpenAPI names it as a component.
import { Type, type Static } from '@sinclair/typebox'
import { NormalizedCode, Remediation, RetryPolicy, RetryStrategy } from './catalog/schema.js'

export { NormalizedCode, Remediation, RetryPolicy }

export const Problem = Type.Object({
  type: Type.String({ description: 'A URI reference naming the problem type.' }),
  title: Type.String(),
  status: Type.Integer({ minimum: 400, maximum: 599 }),
  detail: Type.String(),
  instance: Type.String({ description: 'The request path this problem answers.' }),
  request_id: Type.String({ description: 'The x-request-id of the request; quote it when reporting.' }),
  suggestions: Type.Optional(Type.Array(Type.String(), { description: 'Nearest known codes, for an unknown code.' })),
  valid_values: Type.Optional(Type.Array(Type.String(), { description: 'The accepted values, for a field that takes one of a set.' })),
  field: Type.Optional(Type.String({ description: 'The request field that failed validation.' }))
}, {
  $id: 'Problem',
  description: 'An RFC 9457 problem details object, served as application/problem+json.'
})
export type Problem = Static<typeof Problem>

export const Entry = Type.Object({
  source: Type.String(),
  code: Type.String({ description: 'The platform\'s exact spelling; for message entries, a stable slug; for pattern rules, the rule\'s name.' }),
  kind: Type.Union(['code', 'message', 'template', 'type', 'pattern', 'status'].map((kind) => Type.Literal(kind)), {
    description: 'What the entry matches: a code, an exact message, a message template, an envelope type, a code pattern, or a bare HTTP status.'
  }),
  normalized_code: Type.Ref(NormalizedCode),
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  title: Type.String(),
  description: Type.String(),
  retry: Type.Ref(RetryPolicy),
  remediation: Type.Ref(Remediation),
  origin: Type.Union([Type.Literal('seed'), Type.Literal('platform_docs')], {
    description: 'seed: the platform\'s error-code reference page; platform_docs: the platform\'s other public documentation.'
  }),
  message: Type.Optional(Type.String()),
  template: Type.Optional(Type.String()),
  type: Type.Optional(Type.String({ description: 'The envelope type value that goes with this error.' })),
  notes: Type.Optional(Type.String()),
  inferred: Type.Optional(Type.Array(Type.String(), { description: 'Fields no source states, inferred by errcat.' }))
}, { $id: 'Entry' })
export type Entry = Static<typeof Entry>

export const ClassifyRetry = Type.Object({
  retryable: Type.Boolean(),
  strategy: RetryStrategy,
  delay_ms: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: 'The wait the upstream asked for, when it named one.' }),
  max_attempts: Type.Integer({ minimum: 1, description: 'Attempts in all, the first call included.' }),
  base_delay_ms: Type.Integer({ minimum: 0 }),
  max_delay_ms: Type.Integer({ minimum: 0 }),
  reason: Type.String({ description: 'Why the policy is what it is, in one sentence.' })
}, { $id: 'ClassifyRetry' })

export const Classification = Type.Object({
  normalized_code: Type.Ref(NormalizedCode),
  source: Type.Union([Type.String(), Type.Null()]),
  code: Type.Union([Type.String(), Type.Null()]),
  matched_by: Type.Union(['code', 'code_pattern', 'message', 'message_template', 'message_pattern', 'type', 'status', 'none'].map((m) => Type.Literal(m))),
  http_status: Type.Union([Type.Integer(), Type.Null()]),
  message: Type.Union([Type.String(), Type.Null()]),
  request_id: Type.Union([Type.String(), Type.Null()]),
  params: Type.Record(Type.String(), Type.String()),
  retry: Type.Ref(ClassifyRetry),
  remediation: Type.Ref(Remediation)
}, { $id: 'Classification' })

/** Every shared schema, in the order they must be registered (referenced ones first). */
export const sharedSchemas = [NormalizedCode, RetryPolicy, Remediation, Problem, Entry, ClassifyRetry, Classification]

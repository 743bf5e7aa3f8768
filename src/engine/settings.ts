// Settings read from the environment, checked against a TypeBox schema. The
// engine's own setting lives here, so that the CLI reads it exactly as the
// service does; the service adds its settings to it (src/ops/config.ts).
import { Type, type Static, type TObject } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { DEFAULT_MAX_RETRY_AFTER_S, MAX_RETRY_AFTER_S_LIMIT } from './limits.js'

export const EngineSettings = Type.Object({
  MAX_RETRY_AFTER_S: Type.Number({
    minimum: 0,
    maximum: MAX_RETRY_AFTER_S_LIMIT,
    default: DEFAULT_MAX_RETRY_AFTER_S,
    description: `the longest upstream-requested wait, in seconds, still treated as retryable (0 to ${MAX_RETRY_AFTER_S_LIMIT})`
  })
})
export type EngineSettings = Static<typeof EngineSettings>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const integerPattern = /^-?\d+$/
const numberPattern = /^-?\d+(\.\d+)?$/

/**
 * The settings `schema` describes, from environment variables; unset or
 * empty ones take their defaults. Throws a ConfigError whose message is one
 * line naming the variable and what it must be.
 */
export function readSettings<T extends TObject> (schema: T, env: NodeJS.ProcessEnv): Static<T> {
  const raw: Record<string, unknown> = {}
  for (const [name, property] of Object.entries(schema.properties)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    const type = (property as { type?: string }).type
    if (type === 'integer' || type === 'number') {
      // Number('') and Number(' 8') are too lenient: accept plain decimal digits only.
      raw[name] = (type === 'integer' ? integerPattern : numberPattern).test(value) ? Number(value) : value
    } else {
      raw[name] = value
    }
  }
  const settings = Value.Default(schema, raw)
  const firstError = Value.Errors(schema, settings).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    const described = (schema.properties[name] as { description?: string } | undefined)?.description
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(env[name] ?? null)}: must be ${described ?? firstError.message}`)
  }
  return settings as Static<T>
}

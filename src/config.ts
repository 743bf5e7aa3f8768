// Service configuration: read from the environment once at boot and validated
// against a TypeBox schema. The Config type is derived from the schema.
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'a TCP port from 0 to 65535' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'a host name or IP address to listen on' }),
  LOG_LEVEL: Type.Union(
    ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((level) => Type.Literal(level)),
    { default: 'info', description: 'one of fatal, error, warn, info, debug, trace, silent' }
  ),
  CATALOG_DIR: Type.String({ minLength: 1, default: './catalog', description: 'a directory holding the catalog YAML files' }),
  MAX_RETRY_AFTER_S: Type.Number({
    minimum: 0,
    maximum: 86400,
    default: 120,
    description: 'the longest upstream-requested wait, in seconds, still treated as retryable (0 to 86400)'
  }),
  SHED_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 60000,
    default: 500,
    description: 'the event-loop delay in ms past which requests are shed with a 503, or 0 for never (0 to 60000)'
  })
})

export type Config = Static<typeof ConfigSchema>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const integerPattern = /^-?\d+$/
const numberPattern = /^-?\d+(\.\d+)?$/

/**
 * Builds the config from environment variables. Throws a ConfigError whose
 * message is one line naming the variable and what it must be.
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  const raw: Record<string, unknown> = {}
  for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
    const value = env[name]
    if (value === undefined || value === '') continue
    if (schema.type === 'integer' || schema.type === 'number') {
      const pattern = schema.type === 'integer' ? integerPattern : numberPattern
      // Number('') and Number(' 8') are too lenient: accept plain decimal digits only.
      raw[name] = pattern.test(value) ? Number(value) : value
    } else {
      raw[name] = value
    }
  }
  const config = Value.Default(ConfigSchema, raw)
  const firstError = Value.Errors(ConfigSchema, config).First()
  if (firstError !== undefined) {
    const name = firstError.path.replace(/^\//, '')
    const described = ConfigSchema.properties[name as keyof Config]
    const expectation = described?.description ?? firstError.message
    throw new ConfigError(`Invalid ${name}=${JSON.stringify(env[name] ?? null)}: must be ${expectation}`)
  }
  return config as Config
}

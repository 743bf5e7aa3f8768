// Service configuration: read from the environment once at boot and validated
// against a TypeBox schema, the engine's settings included. The Config type
// is derived from the schema.
import { Type, type Static } from '@sinclair/typebox'
import { StringEnum } from '../catalog/typebox.js'
import { EngineSettings, readSettings } from '../engine/settings.js'
import { DEFAULT_CATALOG_FILE_LIMIT_BYTES } from '../catalog/load.js'

export { ConfigError } from '../engine/settings.js'

export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'a TCP port from 0 to 65535' }),
  HOST: Type.String({ minLength: 1, default: '0.0.0.0', description: 'a host name or IP address to listen on' }),
  LOG_LEVEL: StringEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
    default: 'info',
    description: 'one of fatal, error, warn, info, debug, trace, silent'
  }),
  CATALOG_DIR: Type.String({ minLength: 1, default: './catalog', description: 'a directory holding the catalog YAML files' }),
  CATALOG_ALLOW_SOURCE_REMOVAL: StringEnum(['0', '1'], {
    default: '0',
    description: '1 to let a reload drop a source whose file is gone, else 0'
  }),
  CATALOG_FILE_LIMIT_BYTES: Type.Integer({
    minimum: 1,
    maximum: 2 ** 31 - 1,
    default: DEFAULT_CATALOG_FILE_LIMIT_BYTES,
    description: `the largest catalog file read, in bytes (1 to ${2 ** 31 - 1})`
  }),
  ...EngineSettings.properties,
  SHED_EVENT_LOOP_DELAY_MS: Type.Integer({
    minimum: 0,
    maximum: 60000,
    default: 500,
    description: 'the event-loop delay in ms past which requests are shed with a 503, or 0 for never (0 to 60000)'
  })
})

export type Config = Static<typeof ConfigSchema>

/**
 * Builds the config from environment variables. Throws a ConfigError whose
 * message is one line naming the variable and what it must be.
 */
export function loadConfig (env: NodeJS.ProcessEnv = process.env): Config {
  return readSettings(ConfigSchema, env)
}

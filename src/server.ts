// errcat's service, for those who embed it: `import { buildApp } from 'errcat/server'`.
export { buildApp, type BuildAppOptions } from './ops/app.js'
export { loadConfig, ConfigError, type Config } from './ops/config.js'
export { startService, type StartOptions } from './ops/serve.js'
export { shutdown } from './ops/lifecycle.js'

import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { loadConfig, ConfigError } from '../../src/ops/config.js'

test('defaults: PORT 8080, HOST 0.0.0.0, LOG_LEVEL info, CATALOG_DIR ./catalog, no source removal, 16 MiB catalog files, MAX_RETRY_AFTER_S 120, SHED_EVENT_LOOP_DELAY_MS 500', async (t) => {
  t.same(loadConfig({}), { PORT: 8080, HOST: '0.0.0.0', LOG_LEVEL: 'info', CATALOG_DIR: './catalog', CATALOG_ALLOW_SOURCE_REMOVAL: '0', CATALOG_FILE_LIMIT_BYTES: 16777216, MAX_RETRY_AFTER_S: 120, SHED_EVENT_LOOP_DELAY_MS: 500 })
})

test('environment values are read and converted', async (t) => {
  const config = loadConfig({ PORT: '3000', HOST: '127.0.0.1', LOG_LEVEL: 'debug', CATALOG_DIR: '/srv/catalog', CATALOG_ALLOW_SOURCE_REMOVAL: '1', CATALOG_FILE_LIMIT_BYTES: '1048576', MAX_RETRY_AFTER_S: '7.5', SHED_EVENT_LOOP_DELAY_MS: '0' })
  t.same(config, { PORT: 3000, HOST: '127.0.0.1', LOG_LEVEL: 'debug', CATALOG_DIR: '/srv/catalog', CATALOG_ALLOW_SOURCE_REMOVAL: '1', CATALOG_FILE_LIMIT_BYTES: 1048576, MAX_RETRY_AFTER_S: 7.5, SHED_EVENT_LOOP_DELAY_MS: 0 })
})

test('an empty variable means the default', async (t) => {
  t.equal(loadConfig({ PORT: '' }).PORT, 8080)
})

test('a bad value throws one line naming the variable and what it must be', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ PORT: 'eighty' }, 'Invalid PORT="eighty": must be a TCP port from 0 to 65535'],
    [{ PORT: '70000' }, 'Invalid PORT="70000": must be a TCP port from 0 to 65535'],
    [{ PORT: '80.5' }, 'Invalid PORT="80.5": must be a TCP port from 0 to 65535'],
    [{ PORT: ' 80' }, 'Invalid PORT=" 80": must be a TCP port from 0 to 65535'],
    [{ LOG_LEVEL: 'loud' }, 'Invalid LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent'],
    [{ CATALOG_ALLOW_SOURCE_REMOVAL: 'yes' }, 'Invalid CATALOG_ALLOW_SOURCE_REMOVAL="yes": must be 1 to let a reload drop a source whose file is gone, else 0'],
    [{ CATALOG_FILE_LIMIT_BYTES: '0' }, 'Invalid CATALOG_FILE_LIMIT_BYTES="0": must be the largest catalog file read, in bytes (1 to 2147483647)'],
    [{ MAX_RETRY_AFTER_S: '-1' }, 'Invalid MAX_RETRY_AFTER_S="-1": must be the longest upstream-requested wait, in seconds, still treated as retryable (0 to 86400)']
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), new ConfigError(message), JSON.stringify(env))
    try {
      loadConfig(env)
    } catch (error) {
      t.notOk((error as Error).message.includes('\n'), 'one line')
    }
  }
})

test('a bad value stops the server boot with that one line and a non-zero exit', async (t) => {
  // The compiled server is what `npm start` runs; the typecheck step of npm test does not build it,
  // so this test runs the TypeScript entry point through tap's own loader.
  const result = spawnSync(process.execPath, [...process.execArgv, 'src/main.ts'], {
    env: { ...process.env, PORT: 'eighty' },
    encoding: 'utf8',
    timeout: 20_000
  })
  t.equal(result.status, 1)
  t.equal(result.stderr.trim().split('\n').filter((line) => line.startsWith('errcat:')).join('\n'),
    'errcat: Invalid PORT="eighty": must be a TCP port from 0 to 65535')
})

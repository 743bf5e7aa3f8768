// The service as a person starts it: the startup line, a port already taken,
// and signals sent through `npm start`, which runs the compiled server.
import t, { test, type Test } from 'tap'
import { spawn, spawnSync } from 'node:child_process'
import { closeSync, openSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { bundledCatalog, startService } from '../helper.js'
import { startupLine } from '../../src/ops/serve.js'

// Each test starts one to three servers, and a busy machine boots them slowly.
t.setTimeout(300_000)

const serverArgs = [...process.execArgv, 'src/main.ts']
const env = { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', SHED_EVENT_LOOP_DELAY_MS: '0' }

async function until (check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

function alive (pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('the startup line names the URL, the catalog version, its entries and sources, and the docs URL', async (t) => {
  const catalog = await bundledCatalog()
  const line = startupLine('http://127.0.0.1:8080', catalog)
  t.equal(line, `errcat listening on http://127.0.0.1:8080, catalog ${catalog.version} ` +
    `(${catalog.allEntries.length} entries from ${catalog.sourceIds.length} sources); docs at http://127.0.0.1:8080/docs/`)

  const { address, output } = await startService(t, serverArgs, { env })
  const logged = output().split('\n').filter((text) => text.includes('listening on')).map((text) => JSON.parse(text) as { level: number, msg: string })
  t.same(logged, [{ level: 30, msg: startupLine(address, catalog) }].map((expected) => ({ ...logged[0], ...expected })), 'one JSON log line, at info')
  t.equal(logged.length, 1, 'a single address gets a single line')
  const docs = await fetch(`${address}/docs/`)
  t.equal(docs.status, 200, 'the docs URL it names answers')
  await docs.arrayBuffer()
})

test('a port already in use ends the second server with one clear line and exit code 1', async (t) => {
  const first = await startService(t, serverArgs, { env })
  const port = new URL(first.address).port
  const second = spawnSync(process.execPath, serverArgs, { env: { ...env, PORT: port }, encoding: 'utf8', timeout: 30_000 })
  t.equal(second.status, 1)
  t.equal(second.stderr.trim(), `errcat: cannot listen: port ${port} on 127.0.0.1 is already in use; stop what holds it or set PORT to another port (EADDRINUSE)`)
  t.notMatch(second.stdout, /listening on|"stack"/, 'no startup line and no stack trace')
})

test('a server whose launcher died shuts itself down instead of holding the port unseen', { timeout: 60_000 }, async (t) => {
  const dir = t.testdir({})
  const log = join(dir, 'server.log')
  // The launcher stands for npm: it starts the server, then dies of a signal npm does not relay.
  const launcher = `
    const { spawn } = require('node:child_process')
    const { openSync } = require('node:fs')
    const out = openSync(${JSON.stringify(log)}, 'a')
    const server = spawn(process.execPath, ${JSON.stringify(serverArgs)}, { stdio: ['ignore', out, out], env: { ...process.env, npm_lifecycle_event: 'start' } })
    process.stdout.write(String(server.pid) + '\\n')
    setInterval(() => {}, 1000)`
  const parent = spawn(process.execPath, ['-e', launcher], { env, stdio: ['ignore', 'pipe', 'inherit'] })
  const parentExited = new Promise((resolve) => parent.on('exit', resolve))
  let pid = 0
  t.teardown(async () => {
    if (pid !== 0 && alive(pid)) process.kill(pid, 'SIGKILL')
    if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL')
    await parentExited
  })
  parent.stdout.on('data', (chunk: Buffer) => { pid = Number(String(chunk).trim()) })
  await until(() => pid !== 0 && readFileSync(log, 'utf8').includes('listening on'), 'the server to listen', 45_000)
  parent.kill('SIGHUP')
  await parentExited
  await until(() => !alive(pid), 'the server to exit')
  const lines = (await readFile(log, 'utf8')).trim().split('\n').map((text) => (JSON.parse(text) as { msg: string }).msg)
  t.match(lines, ['errcat listening on', 'npm, which started errcat, has exited: shutting down', 'shutting down'].map(String))
})

interface NpmStart {
  child: ReturnType<typeof spawn>
  exited: Promise<{ code: number | null, signal: string | null }>
  output: () => string
  address: string
}

/** `npm start` in a process group of its own, as a terminal runs it. */
async function npmStart (t: Test): Promise<NpmStart> {
  const dir = t.testdir({})
  const logFile = join(dir, 'npm.log')
  const out = openSync(logFile, 'a')
  const child = spawn('npm', ['start'], { env, detached: true, stdio: ['ignore', out, out] })
  closeSync(out)
  const exited = new Promise<{ code: number | null, signal: string | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })))
  t.teardown(async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-(child.pid as number), 'SIGKILL')
    await exited
  })
  const output = (): string => readFileSync(logFile, 'utf8')
  await until(() => /listening on http/.test(output()), 'npm start to listen', 45_000)
  const address = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output())?.[1] as string
  return { child, exited, output, address }
}

test('npm start serves the compiled server, builds nothing, and relays SIGTERM and SIGINT to it', { timeout: 120_000 }, async (t) => {
  const scripts = (JSON.parse(await readFile('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts
  t.notOk('prestart' in scripts, 'nothing runs before start')
  t.match(scripts.start, /^exec node dist\/main\.js$/, 'npm relays signals to the server itself, not to a shell')

  const byTerm = await npmStart(t)
  t.equal((await fetch(`${byTerm.address}/readyz`)).status, 200)
  byTerm.child.kill('SIGTERM')
  t.same(await byTerm.exited, { code: 0, signal: null }, 'SIGTERM to npm: the server drains and everything exits 0')
  t.match(byTerm.output(), /"signal":"SIGTERM","msg":"shutting down"/)

  // A Ctrl-C reaches the whole process group: npm, and the server.
  const byCtrlC = await npmStart(t)
  process.kill(-(byCtrlC.child.pid as number), 'SIGINT')
  t.same(await byCtrlC.exited, { code: 0, signal: null }, 'Ctrl-C: the server drains and everything exits 0')
  t.match(byCtrlC.output(), /"signal":"SIGINT","msg":"shutting down"/)
})

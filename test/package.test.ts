// The package as a user installs it: packed by `npm pack`, installed into a
// scratch project, the README's library example run verbatim, and the entry
// points checked for what they load. The library and the CLI's lookup load no
// Fastify, pino or prom-client; errcat/server does.
import { spawnSync } from 'node:child_process'
import { cp, readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t, { test } from 'tap'

const root = fileURLToPath(new URL('..', import.meta.url))
// npm pack and npm install take minutes on a busy machine; tap's default is 30 s a file.
t.setTimeout(420_000)
const SERVER_MODULES = /[/\\]node_modules[/\\](fastify|pino|prom-client|@fastify[/\\][^/\\]+)[/\\]/

/** The README's library example: the first js block after "## As a library". */
function libraryExample (readme: string): { code: string, expected: string } {
  const match = /## As a library[\s\S]*?```js\n([\s\S]*?)```/.exec(readme)
  if (match === null) throw new Error('the README has no library example')
  const code = match[1] as string
  const expected = /^\/\/ (.+)\s*$/.exec(code.trimEnd().split('\n').pop() as string)?.[1]
  if (expected === undefined) throw new Error('the library example does not end with the output it prints, as a comment')
  return { code, expected }
}

// Each module the process loaded through require's cache (every CommonJS module, Fastify's, pino's and prom-client's included), printed on exit.
const REPORT_LOADED = 'data:text/javascript,' + encodeURIComponent(
  'import { createRequire } from "node:module"; const cache = createRequire(process.cwd() + "/").cache; ' +
  'process.on("exit", () => process.stderr.write("\\nLOADED " + JSON.stringify(Object.keys(cache)) + "\\n"))')

function run (cwd: string, args: string[]): { status: number | null, stdout: string, stderr: string, loaded: string[] } {
  const result = spawnSync(process.execPath, ['--import', REPORT_LOADED, ...args], { cwd, encoding: 'utf8', timeout: 60_000 })
  const report = /\nLOADED (.*)\n/.exec(result.stderr)
  const stderr = result.stderr.replace(/\nLOADED .*\n/, '')
  return { status: result.status, stdout: result.stdout, stderr, loaded: report === null ? [] : JSON.parse(report[1] as string) as string[] }
}

function npm (cwd: string, args: string[]): ReturnType<typeof spawnSync> {
  return spawnSync('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, encoding: 'utf8', timeout: 240_000 })
}

test('installed from npm pack, the README example runs as written and each entry loads only what it needs', { timeout: 360_000 }, async (t) => {
  // A copy of the package with freshly compiled code, so a stale dist/ cannot be what is tested.
  const dir = t.testdir({ package: {}, scratch: { 'package.json': JSON.stringify({ name: 'scratch', private: true, type: 'module' }) } })
  const pkg = join(dir, 'package')
  const scratch = join(dir, 'scratch')
  for (const file of ['package.json', 'README.md']) await cp(join(root, file), join(pkg, file))
  for (const dir of ['catalog', 'openapi']) await cp(join(root, dir), join(pkg, dir), { recursive: true })
  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(pkg, 'dist')], { encoding: 'utf8' })
  t.equal(tsc.status, 0, `the package compiles ${tsc.stdout}`)
  const packed = npm(pkg, ['pack', '--ignore-scripts'])
  t.equal(packed.status, 0, `npm pack succeeds ${String(packed.stderr)}`)
  const tarball = (await readdir(pkg)).find((name) => name.endsWith('.tgz'))
  t.ok(tarball, 'npm pack made a tarball')

  const installed = npm(scratch, ['install', '--prefer-offline', '--ignore-scripts', join(pkg, tarball as string)])
  t.equal(installed.status, 0, `npm install of the tarball succeeds ${String(installed.stderr).slice(-2000)}`)

  const { code, expected } = libraryExample(await readFile(join(root, 'README.md'), 'utf8'))
  await writeFile(join(scratch, 'example.mjs'), code)
  const example = run(scratch, ['example.mjs'])
  t.equal(example.status, 0, `the example runs ${example.stderr}`)
  t.equal(example.stdout.trim(), expected, 'it prints what the README says it prints')
  t.same(example.loaded.filter((path) => SERVER_MODULES.test(path)), [], 'the library loads no Fastify, pino or prom-client')
  t.ok(example.loaded.some((path) => path.includes('node_modules')), 'the report sees the CommonJS modules a process loads')

  const server = run(scratch, ['--input-type=module', '-e', 'const { buildApp } = await import("errcat/server"); console.log(typeof buildApp)'])
  t.equal(server.stdout.trim(), 'function', 'errcat/server exports buildApp')
  t.ok(server.loaded.some((path) => /[/\\]node_modules[/\\]fastify[/\\]/.test(path)), 'errcat/server loads Fastify')

  const cli = run(scratch, ['node_modules/errcat/dist/cli.js', 'lookup', 'scope_insufficient'])
  t.equal(cli.status, 0, `errcat lookup runs ${cli.stderr}`)
  t.match(cli.stdout, /^1 match for "scope_insufficient"/)
  t.same(cli.loaded.filter((path) => SERVER_MODULES.test(path)), [], 'errcat lookup loads no Fastify, pino or prom-client')
})

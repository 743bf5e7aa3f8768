// CI runs no Docker engine (scripts/container-smoke.sh runs the image for real), so this tests
// what can be tested without one: the compose file's shape, the Dockerfile's promises, and a
// replay of the image's runtime stage (production dependencies, compiled code, catalog).
import t, { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cp, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { startService } from '../helper.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
// The runtime replay installs production dependencies from the registry: allow more than tap's 30 s.
t.setTimeout(300_000)

interface ComposeService {
  healthcheck?: { test?: string[] }
  read_only?: boolean
  volumes?: Array<{ type: string, source: string, target: string, read_only?: boolean }>
  restart?: string
  stop_signal?: string
  deploy?: {
    replicas?: number | string
    update_config?: { order?: string }
    restart_policy?: { condition?: string }
    resources?: { limits?: { cpus?: string, memory?: string } }
  }
}

test('docker-compose.yml: healthcheck, read-only root and catalog, limits, restart, and a Swarm deploy section', async (t) => {
  const compose = parse(await readFile(join(root, 'docker-compose.yml'), 'utf8')) as { services: Record<string, ComposeService> }
  const service = compose.services.errcat
  if (service === undefined) throw new Error('no errcat service')
  // Liveness, never a route that load shedding or a drain answers: a busy replica is not an unhealthy one.
  t.match(service.healthcheck?.test?.join(' '), /node .*\/healthz/, 'the healthcheck asks /healthz with node')
  t.equal(service.read_only, true, 'read-only root filesystem')
  const catalog = service.volumes?.find((volume) => volume.target === '/app/catalog')
  t.match(catalog, { type: 'bind', source: './catalog', read_only: true }, 'the catalog is mounted read-only')
  // A volume, not the `tmpfs:` key, which `docker stack deploy` ignores.
  t.ok(service.volumes?.some((volume) => volume.type === 'tmpfs' && volume.target === '/tmp'), 'a writable tmpfs /tmp, on Swarm too')
  t.equal(service.restart, 'on-failure')
  t.equal(service.stop_signal, 'SIGTERM')
  t.match(service.deploy?.replicas, /^\$\{ERRCAT_REPLICAS:-\d+\}$/, 'replicas are set, and scalable per deployment')
  t.equal(service.deploy?.update_config?.order, 'start-first', 'rolling updates start the new replica first')
  t.equal(service.deploy?.restart_policy?.condition, 'on-failure')
  t.match(service.deploy?.resources?.limits, { cpus: String, memory: String }, 'resource limits')
})

test('Dockerfile: multi-stage, production dependencies only, non-root, node healthcheck, SIGTERM', async (t) => {
  const dockerfile = await readFile(join(root, 'Dockerfile'), 'utf8')
  t.same(dockerfile.match(/^FROM .*$/gm), ['FROM node:24-bookworm-slim AS build', 'FROM node:24-bookworm-slim AS runtime'], 'two stages, both on Node 24')
  t.match(dockerfile, /^RUN npm ci --ignore-scripts$/m, 'the build stage installs without running `prepare`, which would build before the sources are copied')
  t.match(dockerfile, /RUN npm run build/, 'the build stage compiles TypeScript')
  t.match(dockerfile, /npm ci --omit=dev/, 'the runtime stage installs production dependencies only')
  t.match(dockerfile, /COPY --from=build \/app\/dist \.\/dist/)
  t.match(dockerfile, /COPY catalog \.\/catalog/)
  t.match(dockerfile, /^USER node$/m, 'runs as a non-root user')
  t.match(dockerfile, /^HEALTHCHECK .*\n?.*CMD \["node"/m, 'the healthcheck uses node')
  t.match(dockerfile, /^HEALTHCHECK .*\n?.*\/healthz/m, 'and asks /healthz, liveness')
  t.match(dockerfile, /^STOPSIGNAL SIGTERM$/m)
  const ignored = (await readFile(join(root, '.dockerignore'), 'utf8')).split('\n')
  for (const entry of ['node_modules', 'dist', '.git', 'test', 'scripts']) t.ok(ignored.includes(entry), `.dockerignore leaves out ${entry}`)
})

test('the runtime stage holds everything it needs: production install, compiled code and catalog boot to a ready service', { timeout: 300_000 }, async (t) => {
  const image = t.testdir({})
  for (const file of ['package.json', 'package-lock.json']) await cp(join(root, file), join(image, file))
  await cp(join(root, 'catalog'), join(image, 'catalog'), { recursive: true })

  const tsc = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.build.json'), '--outDir', join(image, 'dist')], { encoding: 'utf8' })
  t.equal(tsc.status, 0, tsc.status === 0 ? 'the build stage compiles' : `the build stage fails: ${tsc.stdout}${tsc.stderr}`)

  const npm = spawnSync('npm', ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], { cwd: image, encoding: 'utf8', timeout: 240_000 })
  t.equal(npm.status, 0, npm.status === 0 ? 'npm ci --omit=dev succeeds' : `npm ci --omit=dev fails: ${npm.stderr.slice(-2000)}`)
  const installed = spawnSync('npm', ['ls', '--omit=dev', '--depth=0', '--json'], { cwd: image, encoding: 'utf8' })
  const dependencies = Object.keys((JSON.parse(installed.stdout) as { dependencies?: object }).dependencies ?? {})
  t.notOk(dependencies.includes('tap') || dependencies.includes('typescript'), 'no development dependency in the image')

  const { address, child, exited } = await startService(t, ['dist/main.js'], {
    cwd: image,
    env: { PATH: process.env.PATH, PORT: '0', HOST: '127.0.0.1', CATALOG_DIR: './catalog', NODE_ENV: 'production' },
    timeoutMs: 20_000
  })
  const ready = await fetch(`${address}/readyz`)
  t.equal(ready.status, 200, '/readyz answers 200')
  t.match(await ready.json(), { status: 'ready', catalog: { entries: Number } })
  child.kill('SIGTERM')
  t.equal(await exited, 0, 'SIGTERM ends it with exit code 0')
})

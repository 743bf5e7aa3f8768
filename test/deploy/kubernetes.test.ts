// deploy/kubernetes/: every manifest is checked offline against Kubernetes' own schemas
// (kubernetes-models, and its types for unknown fields, which the schemas let through), then held
// to what errcat needs: its probes, its security, its catalog. No cluster runs here.
import { test } from 'tap'
import { spawnSync } from 'node:child_process'
import { cp, mkdir, readdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { parseAllDocuments } from 'yaml'
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment'
import { HorizontalPodAutoscaler, type IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler'
import { PodDisruptionBudget, type IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget'
import { ConfigMap, type IConfigMap } from 'kubernetes-models/v1/ConfigMap'
import { Service, type IService } from 'kubernetes-models/v1/Service'
import type { IContainer } from 'kubernetes-models/v1/Container'
import { loadCatalog, SOURCE_EXTENSIONS } from '../../src/catalog/load.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const manifestDir = join(root, 'deploy/kubernetes')
const catalogDir = join(root, 'catalog')
const KUSTOMIZATION = 'kustomization.yaml'
/** The API server refuses a ConfigMap whose keys and values exceed 1 MiB in all. */
const CONFIGMAP_LIMIT = 1024 * 1024

/** Each kind the manifests may hold: its schema check, and the type (module and name) that knows its fields. */
const MODELS: Record<string, { validate: (doc: unknown) => void, module: string, type: string }> = {
  'v1 ConfigMap': { validate: (doc) => new ConfigMap(doc as IConfigMap).validate(), module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
  'v1 Service': { validate: (doc) => new Service(doc as IService).validate(), module: 'kubernetes-models/v1/Service', type: 'IService' },
  'apps/v1 Deployment': { validate: (doc) => new Deployment(doc as IDeployment).validate(), module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'autoscaling/v2 HorizontalPodAutoscaler': {
    validate: (doc) => new HorizontalPodAutoscaler(doc as IHorizontalPodAutoscaler).validate(),
    module: 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler',
    type: 'IHorizontalPodAutoscaler'
  },
  'policy/v1 PodDisruptionBudget': {
    validate: (doc) => new PodDisruptionBudget(doc as IPodDisruptionBudget).validate(),
    module: 'kubernetes-models/policy/v1/PodDisruptionBudget',
    type: 'IPodDisruptionBudget'
  }
}

interface Manifest {
  file: string
  /** Where it is, for messages: `deployment.yaml` or `file.yaml#2` past the first document. */
  where: string
  key: string
  doc: { apiVersion?: unknown, kind?: unknown, metadata?: { name?: unknown } }
}

async function readManifests (): Promise<Manifest[]> {
  const files = (await readdir(manifestDir)).filter((name) => name.endsWith('.yaml') || name.endsWith('.yml')).sort()
  const manifests: Manifest[] = []
  for (const file of files) {
    const documents = parseAllDocuments(await readFile(join(manifestDir, file), 'utf8'))
    if (!Array.isArray(documents)) throw new Error(`${file}: not a YAML stream`)
    documents.forEach((document, i) => {
      if (document.errors.length > 0) throw new Error(`${file}: ${document.errors[0]?.message ?? 'invalid YAML'}`)
      const doc = document.toJS() as Manifest['doc'] | null
      // An empty document, such as after a trailing `---`, holds nothing to apply.
      if (doc === null) return
      manifests.push({ file, where: i === 0 ? file : `${file}#${i}`, key: `${String(doc.apiVersion)} ${String(doc.kind)}`, doc })
    })
  }
  return manifests
}

const manifests = await readManifests()

function only<T> (key: string): T {
  const found = manifests.filter((manifest) => manifest.key === key)
  if (found.length !== 1) throw new Error(`expected one ${key}, found ${found.length}`)
  return (found[0] as Manifest).doc as T
}

const deployment = only<IDeployment>('apps/v1 Deployment')
const service = only<IService>('v1 Service')
const hpa = only<IHorizontalPodAutoscaler>('autoscaling/v2 HorizontalPodAutoscaler')
const pdb = only<IPodDisruptionBudget>('policy/v1 PodDisruptionBudget')
const catalogConfigMaps = manifests.filter((manifest) => manifest.file === 'catalog-configmap.yaml').map((manifest) => manifest.doc as IConfigMap)
/** The catalog's files as the projected volume of every catalog ConfigMap mounts them. */
const mountedCatalog = new Map(catalogConfigMaps.flatMap((configMap) => Object.entries(configMap.data ?? {})))
const podSpec = deployment.spec?.template.spec
const podLabels = deployment.spec?.template.metadata?.labels ?? {}
const container = podSpec?.containers.find((item) => item.name === 'errcat') as IContainer

/** Whether every label a selector asks for is on the Deployment's pods. */
function selectsPods (labels: Record<string, string> | undefined): boolean {
  return labels !== undefined && Object.keys(labels).length > 0 && Object.entries(labels).every(([key, value]) => podLabels[key] === value)
}

/**
 * Type-checks each manifest as an object literal of its kind's type: TypeScript's excess-property check
 * finds an unknown or misspelled field at any depth, as `kubectl apply --validate=strict` would.
 */
function unknownFields (items: Manifest[]): string[] {
  const options: ts.CompilerOptions = {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    lib: ['lib.es2023.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true
  }
  // Virtual files beside this one, so that kubernetes-models resolves from the project's node_modules.
  const sources = new Map(items.map((manifest, i) => {
    const model = MODELS[manifest.key] as (typeof MODELS)[string]
    const text = `import type { ${model.type} } from '${model.module}'\nexport const manifest: ${model.type} = ${JSON.stringify(manifest.doc, null, 2)}\n`
    return [join(root, 'test/deploy', `manifest-${i}.generated.ts`), { manifest, text }] as const
  }))
  const host = ts.createCompilerHost(options)
  const getSourceFile = host.getSourceFile.bind(host)
  const fileExists = host.fileExists.bind(host)
  host.getSourceFile = (name, language, ...rest) => {
    const source = sources.get(name)
    return source === undefined ? getSourceFile(name, language, ...rest) : ts.createSourceFile(name, source.text, language)
  }
  host.fileExists = (name) => sources.has(name) || fileExists(name)
  const program = ts.createProgram([...sources.keys()], options, host)
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const source = diagnostic.file === undefined ? undefined : sources.get(diagnostic.file.fileName)
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n').split('\n').at(-1) ?? ''
    return `${source?.manifest.where ?? diagnostic.file?.fileName ?? '(program)'}: ${message}`
  })
}

test('every manifest is valid against the Kubernetes schemas, and no kind goes unchecked', async (t) => {
  t.ok(manifests.length >= 5, 'the manifests are read')
  const known: Manifest[] = []
  for (const manifest of manifests) {
    if (manifest.file === KUSTOMIZATION) {
      // kubernetes-models has no Kustomization model; its contents are checked below.
      t.equal(manifest.key, 'kustomize.config.k8s.io/v1beta1 Kustomization', `${manifest.where} is a Kustomization`)
      continue
    }
    const model = MODELS[manifest.key]
    if (model === undefined) {
      t.fail(`${manifest.where}: ${manifest.key} has no model here to validate it; add one to MODELS`)
      continue
    }
    t.doesNotThrow(() => model.validate(manifest.doc), `${manifest.where}: a valid ${manifest.key}`)
    t.match(manifest.doc.metadata?.name, /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, `${manifest.where}: a DNS label for a name`)
    known.push(manifest)
  }
  t.same(unknownFields(known), [], 'no unknown or misspelled field')
  const names = known.map((manifest) => `${manifest.key} ${String(manifest.doc.metadata?.name)}`)
  t.same([...new Set(names)], names, 'no object is defined twice')
})

test('the field check does find a misspelled field', async (t) => {
  const doc = structuredClone(deployment) as IDeployment & { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } }
  const first = doc.spec.template.spec.containers[0] as Record<string, unknown>
  first.readinesProbe = first.readinessProbe
  delete first.readinessProbe
  const found = unknownFields([{ file: 'deployment.yaml', where: 'deployment.yaml', key: 'apps/v1 Deployment', doc }])
  t.match(found, [/^deployment\.yaml: .*'"?readinesProbe"?' does not exist in type/])
})

test('kustomization.yaml lists every manifest, so `kubectl apply -k` applies them all', async (t) => {
  const kustomization = manifests.find((manifest) => manifest.file === KUSTOMIZATION)?.doc as { resources?: string[] } | undefined
  const others = [...new Set(manifests.filter((manifest) => manifest.file !== KUSTOMIZATION).map((manifest) => manifest.file))].sort()
  t.same([...kustomization?.resources ?? []].sort(), others)
  // Client-side apply copies each object into an annotation of at most 256 KiB: the catalog is larger.
  const readme = await readFile(join(manifestDir, 'README.md'), 'utf8')
  t.match(readme, /kubectl apply --server-side -k deploy\/kubernetes/, 'the README applies server-side')
})

test('Deployment: probes, ports, rollout and shutdown', async (t) => {
  if (podSpec === undefined || container === undefined) throw new Error('no errcat container in the Deployment')
  t.same(deployment.spec?.selector.matchLabels, podLabels, 'the selector is the pod labels')
  t.equal(deployment.spec?.replicas, undefined, 'no replicas: the HPA owns the count')
  t.equal(deployment.spec?.strategy?.type, 'RollingUpdate')
  t.equal(deployment.spec?.strategy?.rollingUpdate?.maxUnavailable, 0, 'a rollout never lowers capacity')

  t.match(container.image, /^errcat(:|$)/, 'the image, which kustomization.yaml can replace')
  const http = container.ports?.find((port) => port.name === 'http')
  t.match(http, { containerPort: 8080, protocol: 'TCP' }, 'port 8080 is named http')
  const env = Object.fromEntries((container.env ?? []).map((item) => [item.name, item.value]))
  t.equal(env.LOG_LEVEL, 'info')
  if (env.PORT !== undefined) t.equal(Number(env.PORT), http?.containerPort, 'PORT is the container port')

  t.equal(container.readinessProbe?.httpGet?.path, '/readyz', 'readiness asks /readyz, which fails from the moment shutdown begins')
  t.equal(container.livenessProbe?.httpGet?.path, '/healthz', 'liveness asks /healthz, never shed')
  if (container.startupProbe !== undefined) t.equal(container.startupProbe.httpGet?.path, '/healthz', 'the startup probe asks liveness')
  for (const [name, probe] of Object.entries({ readiness: container.readinessProbe, liveness: container.livenessProbe, startup: container.startupProbe })) {
    if (probe === undefined) continue
    t.equal(probe.httpGet?.port, 'http', `the ${name} probe asks the named container port`)
  }

  // The grace period counts from the pod's deletion: the preStop pause and the 5 s drain both fit in it.
  const preStop = container.lifecycle?.preStop
  const pause = preStop?.sleep?.seconds ?? Number(preStop?.exec?.command?.at(-1) ?? 0)
  t.ok(pause > 0, 'a preStop pause lets the endpoint removal reach every proxy')
  t.ok((podSpec.terminationGracePeriodSeconds ?? 30) >= Math.max(10, pause + 5 + 1), 'the grace period covers the pause and the drain')
})

test('Deployment: non-root, read-only root, no privileges, resources, a writable /tmp', async (t) => {
  if (podSpec === undefined || container === undefined) throw new Error('no errcat container in the Deployment')
  const pod = podSpec.securityContext
  const own = container.securityContext
  t.equal(own?.runAsNonRoot ?? pod?.runAsNonRoot, true, 'runAsNonRoot')
  t.equal(own?.runAsUser ?? pod?.runAsUser, 1000, 'the image\'s node user')
  t.equal(own?.readOnlyRootFilesystem, true, 'read-only root filesystem')
  t.equal(own?.allowPrivilegeEscalation, false, 'no privilege escalation')
  t.same(own?.capabilities?.drop, ['ALL'], 'every capability dropped')
  t.equal(own?.seccompProfile?.type ?? pod?.seccompProfile?.type, 'RuntimeDefault', 'the runtime\'s seccomp profile')
  t.equal(podSpec.automountServiceAccountToken, false, 'no API token in a pod that never calls the API')

  for (const kind of ['requests', 'limits'] as const) {
    t.match(container.resources?.[kind], { cpu: /./, memory: /./ }, `CPU and memory ${kind}`)
  }

  const tmp = container.volumeMounts?.find((mount) => mount.mountPath === '/tmp')
  t.ok(podSpec.volumes?.some((volume) => volume.name === tmp?.name && volume.emptyDir !== undefined), 'an emptyDir at /tmp')
})

test('Deployment: the catalog ConfigMap is mounted at CATALOG_DIR, and its version is on the pod template', async (t) => {
  if (podSpec === undefined || container === undefined) throw new Error('no errcat container in the Deployment')
  const catalogPath = container.env?.find((item) => item.name === 'CATALOG_DIR')?.value
  t.equal(catalogPath, '/app/catalog')
  const mount = container.volumeMounts?.find((item) => item.mountPath === catalogPath)
  t.equal(mount?.readOnly, true, 'mounted read-only at CATALOG_DIR')
  // A whole-volume mount: a subPath mount would never see the ConfigMap change.
  t.equal(mount?.subPath, undefined)
  const volume = podSpec.volumes?.find((item) => item.name === mount?.name)
  const sources = volume?.projected?.sources ?? []
  t.ok(sources.length > 0, 'a projected volume')
  t.same(sources.map((source) => source.configMap?.name), catalogConfigMaps.map((configMap) => configMap.metadata?.name),
    'it projects every catalog ConfigMap, and nothing else')
  t.ok(sources.every((source) => source.configMap?.items === undefined), 'every key of each, as a file')

  const annotation = deployment.spec?.template.metadata?.annotations?.['errcat/catalog-version']
  t.equal(annotation, (await loadCatalog(catalogDir)).version, 'the annotation is the catalog\'s version, so a new catalog rolls the pods')
})

test('Service, HorizontalPodAutoscaler and PodDisruptionBudget point at the Deployment', async (t) => {
  const named = new Set((container?.ports ?? []).flatMap((port) => [port.name, port.containerPort]))
  t.equal(service.spec?.type ?? 'ClusterIP', 'ClusterIP')
  t.ok(selectsPods(service.spec?.selector), 'the Service selects the Deployment\'s pods')
  for (const port of service.spec?.ports ?? []) t.ok(named.has(port.targetPort), `Service port ${port.port} targets a container port`)
  t.match(service.spec?.ports, [{ port: 80, targetPort: 'http' }])

  t.same(hpa.spec?.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata?.name })
  const minReplicas = hpa.spec?.minReplicas ?? 1
  t.ok(minReplicas >= 2, 'at least two replicas')
  t.ok((hpa.spec?.maxReplicas ?? 0) >= minReplicas)
  t.match(hpa.spec?.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: Number } } }])

  t.ok(selectsPods(pdb.spec?.selector?.matchLabels), 'the PodDisruptionBudget selects the Deployment\'s pods')
  t.equal(pdb.spec?.selector?.matchExpressions, undefined)
  // It must allow a drain at the HPA's floor, and keep a replica serving through it.
  const { minAvailable, maxUnavailable } = pdb.spec ?? {}
  if (typeof maxUnavailable === 'number') t.ok(maxUnavailable >= 1 && maxUnavailable < minReplicas, 'maxUnavailable leaves one replica and allows one eviction')
  else if (typeof minAvailable === 'number') t.ok(minAvailable >= 1 && minAvailable < minReplicas, 'minAvailable leaves one replica and allows one eviction')
  else t.fail('a numeric maxUnavailable or minAvailable')
})

/** What the loader reads from a catalog directory, by name: its own regular *.yaml and *.json files. */
async function catalogFiles (): Promise<Map<string, string>> {
  const entries = await readdir(catalogDir, { withFileTypes: true })
  const names = entries.filter((entry) => entry.isFile() && SOURCE_EXTENSIONS.some((extension) => entry.name.endsWith(extension))).map((entry) => entry.name)
  return new Map(await Promise.all(names.sort().map(async (name) => [name, await readFile(join(catalogDir, name), 'utf8')] as const)))
}

/** A ConfigMap's size as the API server bounds it: its keys and values, in bytes. */
function dataSize (data: Record<string, string>): number {
  return Object.entries(data).reduce((sum, [key, value]) => sum + Buffer.byteLength(key) + Buffer.byteLength(value), 0)
}

test('catalog-configmap.yaml is the catalog, exactly, in ConfigMaps that each fit', async (t) => {
  t.ok(catalogConfigMaps.length > 0, 'at least one ConfigMap')
  const files = await catalogFiles()
  const keys = catalogConfigMaps.flatMap((configMap) => Object.keys(configMap.data ?? {}))
  t.same(keys.sort(), [...files.keys()], 'one key per catalog file, in one ConfigMap only: run npm run k8s:catalog if not')
  for (const [name, text] of files) t.ok(mountedCatalog.get(name) === text, `${name} is the same, byte for byte: run npm run k8s:catalog if not`)
  for (const configMap of catalogConfigMaps) {
    t.equal(configMap.binaryData, undefined)
    const size = dataSize(configMap.data ?? {})
    t.ok(size < CONFIGMAP_LIMIT, `${String(configMap.metadata?.name)}'s data (${size} bytes) is under the 1 MiB a ConfigMap may hold`)
  }
})

test('npm run k8s:catalog: the committed files are what it writes; a large catalog is split, a file too large refused', async (t) => {
  const scripts = (JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts
  t.match(scripts['k8s:catalog'], /scripts\/k8s-catalog-configmap\.mjs/, 'the npm script runs the generator')
  const generate = (...args: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(process.execPath, [join(root, 'scripts/k8s-catalog-configmap.mjs'), ...args], { encoding: 'utf8' })
  const check = generate('--check')
  t.equal(check.status, 0, `both files are up to date ${String(check.stderr)}`)

  // On a copy whose generated files are stale: --check says so and writes nothing; a run writes what is committed.
  const copy = t.testdir({ deploy: { kubernetes: {} } })
  await cp(catalogDir, join(copy, 'catalog'), { recursive: true })
  const committedDeployment = await readFile(join(manifestDir, 'deployment.yaml'), 'utf8')
  // An old version, and the catalog volume as it was before the catalog could take several ConfigMaps.
  const staleDeployment = committedDeployment.replace(/(errcat\/catalog-version: )"[0-9a-f]*"/, '$1"0000000000000000"')
    .replace(/( +)projected:\n(?:\1 .*\n)+/, '$1configMap:\n$1  name: errcat-catalog\n')
  t.match(staleDeployment, /configMap:\n +name: errcat-catalog\n/)
  t.not(staleDeployment, committedDeployment)
  await writeFile(join(copy, 'deploy/kubernetes/deployment.yaml'), staleDeployment)
  const stale = generate('--check', '--root', copy)
  t.equal(stale.status, 1, 'stale files fail the check')
  t.match(stale.stderr, /catalog-configmap\.yaml is out of date/)
  t.match(stale.stderr, /deployment\.yaml is out of date/)
  t.equal(await readFile(join(copy, 'deploy/kubernetes/deployment.yaml'), 'utf8'), staleDeployment, '--check writes nothing')
  const run = generate('--root', copy)
  t.equal(run.status, 0, String(run.stderr))
  for (const file of ['catalog-configmap.yaml', 'deployment.yaml']) {
    t.ok(await readFile(join(copy, 'deploy/kubernetes', file), 'utf8') === await readFile(join(manifestDir, file), 'utf8'), `it writes the committed ${file}`)
  }
  t.match(generate('--root', copy).stdout, /already up to date/, 'a second run changes nothing')

  await writeFile(join(copy, 'deploy/kubernetes/deployment.yaml'), committedDeployment.replace(/^.*errcat\/catalog-version: .*\n/m, ''))
  const unannotated = generate('--root', copy)
  t.equal(unannotated.status, 1, 'a Deployment without the annotation is refused')
  t.match(unannotated.stderr, /must hold one errcat\/catalog-version annotation/)

  // A catalog over 1 MiB is split across ConfigMaps, and the volume projects them all.
  await writeFile(join(copy, 'deploy/kubernetes/deployment.yaml'), committedDeployment)
  const padding = '#'.repeat(CONFIGMAP_LIMIT / 2)
  await writeFile(join(copy, 'catalog/padding-a.yaml'), padding)
  await writeFile(join(copy, 'catalog/padding-b.yaml'), padding)
  const split = generate('--root', copy)
  t.equal(split.status, 0, String(split.stderr))
  t.match(split.stdout, /in 3 ConfigMaps/)
  const splitMaps = parseAllDocuments(await readFile(join(copy, 'deploy/kubernetes/catalog-configmap.yaml'), 'utf8'))
    .map((document) => document.toJS() as IConfigMap)
  t.equal(splitMaps.length, 3)
  for (const configMap of splitMaps) {
    new ConfigMap(configMap).validate()
    t.ok(dataSize(configMap.data ?? {}) < CONFIGMAP_LIMIT, `${String(configMap.metadata?.name)} fits in a ConfigMap`)
  }
  t.same(new Map(splitMaps.flatMap((configMap) => Object.entries(configMap.data ?? {}))),
    new Map([...mountedCatalog, ['padding-a.yaml', padding], ['padding-b.yaml', padding]]), 'together they hold every file once')
  const splitDeployment = parseAllDocuments(await readFile(join(copy, 'deploy/kubernetes/deployment.yaml'), 'utf8'))
    .map((document) => document.toJS() as IDeployment)[0]
  if (splitDeployment === undefined) throw new Error('no Deployment written')
  new Deployment(splitDeployment).validate()
  t.same(splitDeployment.spec?.template.spec?.volumes?.find((volume) => volume.name === 'catalog')?.projected?.sources,
    splitMaps.map((configMap) => ({ configMap: { name: configMap.metadata?.name } })), 'the volume projects every one of them')

  await writeFile(join(copy, 'catalog/padding-a.yaml'), '#'.repeat(CONFIGMAP_LIMIT))
  const tooLarge = generate('--root', copy)
  t.equal(tooLarge.status, 1, 'a file over 1 MiB is refused')
  t.match(tooLarge.stderr, /catalog\/padding-a\.yaml is \d+ bytes, over the 1048576 bytes a ConfigMap may hold/)
})

/**
 * Lays `files` out as the kubelet mounts a ConfigMap: the files in a timestamped directory, `..data`
 * a symbolic link to it, and one link per key through `..data`. An update writes a new timestamped
 * directory and swaps `..data` by renaming a new link over it.
 */
async function mountConfigMap (dir: string, files: ReadonlyMap<string, string>, stamp: string): Promise<void> {
  const versioned = `..${stamp}`
  await mkdir(join(dir, versioned))
  for (const [name, text] of files) await writeFile(join(dir, versioned, name), text)
  await symlink(versioned, join(dir, '..data_tmp'))
  const previous = await readdir(dir).then((names) => names.find((name) => name.startsWith('..2') && name !== versioned))
  await rename(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const name of files.keys()) await symlink(join('..data', name), join(dir, name)).catch((error: NodeJS.ErrnoException) => { if (error.code !== 'EEXIST') throw error })
  if (previous !== undefined) await rm(join(dir, previous), { recursive: true })
}

test('the loader reads a catalog mounted as a ConfigMap volume (symbolic links through ..data)', async (t) => {
  const files = mountedCatalog
  const dir = t.testdir({})
  await mountConfigMap(dir, files, '2026_01_01_00_00_00.000000000')

  const plain = await loadCatalog(catalogDir)
  const mounted = await loadCatalog(dir)
  t.equal(mounted.version, plain.version, 'the same version as the catalog directory')
  t.same(mounted.sourceIds, plain.sourceIds, 'the same sources')
  t.same(mounted.allEntries.map((entry) => `${entry.source} ${entry.code}`), plain.allEntries.map((entry) => `${entry.source} ${entry.code}`), 'the same entries')
  t.same([...mounted.taxonomy.keys()], [...plain.taxonomy.keys()], 'the same taxonomy')

  // What a SIGHUP after a ConfigMap update reads: the new files, through the swapped ..data.
  const taxonomy = files.get('taxonomy.yaml') as string
  await mountConfigMap(dir, new Map([...files, ['taxonomy.yaml', `${taxonomy}# updated\n`]]), '2026_01_02_00_00_00.000000000')
  const updated = await loadCatalog(dir)
  t.not(updated.version, plain.version, 'an update is read through the new ..data')
  t.same(updated.sourceIds, plain.sourceIds)
})

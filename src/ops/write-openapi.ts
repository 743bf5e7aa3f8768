// `npm run openapi`: writes openapi/openapi.json and openapi/openapi.yaml from
// the app's route schemas and the bundled catalog. A test fails when the
// committed files differ from what the app serves.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { buildApp } from './app.js'
import { loadConfig } from './config.js'

const outDir = process.argv[2] ?? './openapi'
const app = await buildApp({ config: { ...loadConfig(), LOG_LEVEL: 'silent' } })
await app.ready()
await mkdir(outDir, { recursive: true })
await writeFile(join(outDir, 'openapi.json'), JSON.stringify(app.swagger(), null, 2) + '\n')
await writeFile(join(outDir, 'openapi.yaml'), app.swagger({ yaml: true }))
await app.close()
process.stdout.write(`wrote openapi.json and openapi.yaml to ${outDir}\n`)

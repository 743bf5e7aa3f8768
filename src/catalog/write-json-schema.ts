// `npm run catalog:schema`: writes catalog/schema/*.json.
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { SCHEMA_FILES, jsonSchemaText } from './json-schema.js'

const dir = join(process.argv[2] ?? './catalog', 'schema')
await mkdir(dir, { recursive: true })
for (const name of Object.keys(SCHEMA_FILES)) await writeFile(join(dir, name), jsonSchemaText(name))
process.stdout.write(`wrote ${Object.keys(SCHEMA_FILES).join(', ')} to ${dir}\n`)

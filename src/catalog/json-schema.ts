// The catalog's JSON Schemas for editors, generated from the TypeBox schemas.
// `npm run catalog:schema` writes them to catalog/schema/; a test keeps the
// committed files equal to what this generates.
import { SourceFile, TaxonomyFile } from './schema.js'

export const SCHEMA_FILES: Readonly<Record<string, object>> = {
  'source.schema.json': SourceFile,
  'taxonomy.schema.json': TaxonomyFile
}

export function jsonSchemaText (name: string): string {
  const schema = SCHEMA_FILES[name]
  if (schema === undefined) throw new Error(`no schema named ${name}`)
  // Nested $ids (NormalizedCode, RetryPolicy) are for the HTTP API's components; here they would repeat.
  const inlined = JSON.parse(JSON.stringify(schema, (key, value: unknown) => (key === '$id' ? undefined : value))) as object
  return JSON.stringify({ $schema: 'http://json-schema.org/draft-07/schema#', $id: name, ...inlined }, null, 2) + '\n'
}

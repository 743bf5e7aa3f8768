// Two TypeBox types every part shares, written as JSON Schema says them
// plainly: a string from a set (`enum`) and a value that may be null (a type
// list). Unions of literals or with null become `anyOf`, which OpenAPI tools
// show poorly and which fast-json-stringify serializes by validating each
// branch. Both are registered with TypeBox, so its checker validates them as
// it does any other type (TypeBox's documented way for such types).
import { Kind, Type, TypeRegistry, type SchemaOptions, type Static, type TSchema, type TUnsafe } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

TypeRegistry.Set<{ enum: readonly string[] }>('StringEnum', (schema, value) => typeof value === 'string' && schema.enum.includes(value))

/** One of `values`: `{ "type": "string", "enum": [...] }`. */
export function StringEnum<const T extends readonly string[]> (values: T, options: SchemaOptions = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ ...options, [Kind]: 'StringEnum', type: 'string', enum: [...values] })
}

const nullableInner = new WeakMap<object, TSchema>()
TypeRegistry.Set<object>('Nullable', (schema, value) => {
  const inner = nullableInner.get(schema)
  return value === null || (inner !== undefined && Value.Check(inner, value))
})

/** `schema`, or null: the schema with `null` added to its `type`. For schemas of a single primitive type. */
export function Nullable<T extends TSchema> (schema: T, options: SchemaOptions = {}): TUnsafe<Static<T> | null> {
  const { [Kind]: _kind, ...keywords } = schema as unknown as Record<string | symbol, unknown>
  const nullable = Type.Unsafe<Static<T> | null>({ ...keywords, ...options, [Kind]: 'Nullable', type: [keywords.type, 'null'] })
  nullableInner.set(nullable, schema)
  return nullable
}

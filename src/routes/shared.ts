// Query parameters and problems more than one route module uses.
import { Type } from '@sinclair/typebox'
import { ProblemError } from '../problems.js'

export const SourceQuery = Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A source id (see GET /sources).' }))

export const FormatQuery = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')], {
  description: 'text answers aligned plain text for terminals; the Accept header (text/plain) does the same.'
}))

export function unknownSourceProblem (source: string, validIds: readonly string[]): ProblemError {
  return new ProblemError(400, 'unknown-source', 'Unknown source',
    `"${source.slice(0, 64)}" is not a source. Use one of: ${validIds.join(', ')}.`,
    { field: 'source', valid_values: [...validIds] })
}

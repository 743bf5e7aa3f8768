// Query parameters and problems more than one route module uses.
import { Type } from '@sinclair/typebox'
import { ProblemError } from '../problems.js'
import { UnknownSourceError } from '../engine/errors.js'

export const SourceQuery = Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'A source id (see GET /sources).' }))

export const FormatQuery = Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('text')], {
  description: 'text answers aligned plain text for terminals; the Accept header (text/plain) does the same.'
}))

/** The engine's UnknownSourceError words, as a 400 problem naming the field. */
export function unknownSourceProblem (source: string, validIds: readonly string[], field = 'source'): ProblemError {
  return new ProblemError(400, 'unknown-source', 'Unknown source', new UnknownSourceError(source, validIds).message,
    { field, valid_values: [...validIds] })
}

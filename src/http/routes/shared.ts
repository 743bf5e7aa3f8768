// What more than one route module takes or answers: the source parameter and
// its problem.
import { Type } from '@sinclair/typebox'
import type { Catalog } from '../../catalog/types.js'
import { UnknownSourceError } from '../../engine/errors.js'
import { SOURCE_ID_LENGTH_LIMIT } from '../../engine/limits.js'
import { ProblemError, PROBLEMS } from '../problems.js'

export const SourceQuery = Type.Optional(Type.String({ minLength: 1, maxLength: SOURCE_ID_LENGTH_LIMIT, description: 'A source id (see GET /sources).' }))

/** Refuses a source the catalog does not have with a 400 problem naming the field and the valid ids. */
export function checkSource (catalog: Catalog, source: string | null | undefined, field = 'source'): void {
  if (source === undefined || source === null || catalog.sources.has(source)) return
  throw new ProblemError(PROBLEMS.unknownSource, new UnknownSourceError(source, catalog.sourceIds).message,
    { field, valid_values: [...catalog.sourceIds] })
}

// The schemas every route shares, each with an $id: registered once with
// app.addSchema and referenced by the routes, so that Fastify serializes by
// them and OpenAPI names each as a component. They are defined where their
// values are made: the catalog, the engine and the problem registry.
import type { TSchema } from '@sinclair/typebox'
import { Entry, NormalizedCode, Remediation, RetryPolicy, Source, TaxonomyCode } from '../catalog/schema.js'
import { Classification, LookupResult, RetryAdvice, SearchResult } from '../engine/schemas.js'
import { Problem } from './problems.js'

/** In the order they must be registered: referenced ones first. */
export const sharedSchemas: readonly TSchema[] = [
  NormalizedCode, RetryPolicy, Remediation, Entry, Source, TaxonomyCode,
  RetryAdvice, Classification, LookupResult, SearchResult, Problem
]

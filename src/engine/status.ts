// Fallbacks that need no catalog entry: the HTTP status, the gRPC status
// names that JSON renderings of a gRPC status carry, and OAuth 2.0's error
// codes, which every authorization server and protected API shares.
import type { NormalizedCode } from '../catalog/schema.js'

const byHttpStatus: Record<number, NormalizedCode> = {
  400: 'invalid_request',
  401: 'unauthenticated',
  402: 'billing',
  403: 'permission_denied',
  404: 'not_found',
  407: 'unauthenticated',
  408: 'timeout',
  409: 'conflict',
  410: 'gone',
  412: 'failed_precondition',
  413: 'payload_too_large',
  422: 'invalid_request',
  429: 'rate_limited',
  499: 'cancelled',
  500: 'internal',
  501: 'not_implemented',
  502: 'upstream_error',
  503: 'unavailable',
  504: 'timeout',
  505: 'not_implemented',
  529: 'overloaded'
}

/** The normalized code an HTTP status implies on its own, or null for statuses that imply none. */
export function normalizedForStatus (status: number | null): NormalizedCode | null {
  if (status === null) return null
  const exact = byHttpStatus[status]
  if (exact !== undefined) return exact
  // Other 4xx are the caller's to fix; other 5xx are the server's.
  if (status >= 400 && status < 500) return 'invalid_request'
  if (status >= 500 && status < 600) return 'internal'
  return null
}

const byGrpcStatus: Record<string, NormalizedCode> = {
  INVALID_ARGUMENT: 'invalid_request',
  OUT_OF_RANGE: 'invalid_request',
  UNAUTHENTICATED: 'unauthenticated',
  PERMISSION_DENIED: 'permission_denied',
  NOT_FOUND: 'not_found',
  ALREADY_EXISTS: 'conflict',
  ABORTED: 'conflict',
  FAILED_PRECONDITION: 'failed_precondition',
  RESOURCE_EXHAUSTED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  CANCELLED: 'cancelled',
  DEADLINE_EXCEEDED: 'timeout',
  UNIMPLEMENTED: 'not_implemented',
  INTERNAL: 'internal',
  DATA_LOSS: 'internal'
}

/** gRPC's status codes by number (grpc/grpc doc/statuscodes.md); 0 is OK. */
const GRPC_STATUS_NAMES = ['OK', 'CANCELLED', 'UNKNOWN', 'INVALID_ARGUMENT', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'ALREADY_EXISTS',
  'PERMISSION_DENIED', 'RESOURCE_EXHAUSTED', 'FAILED_PRECONDITION', 'ABORTED', 'OUT_OF_RANGE', 'UNIMPLEMENTED', 'INTERNAL',
  'UNAVAILABLE', 'DATA_LOSS', 'UNAUTHENTICATED'] as const

/** The name of a grpc-status header's value, such as "14" → UNAVAILABLE; null for OK or anything else. */
export function grpcStatusName (value: string): string | null {
  if (!/^\d{1,2}$/.test(value.trim())) return null
  const code = Number(value)
  return code > 0 && code < GRPC_STATUS_NAMES.length ? GRPC_STATUS_NAMES[code] as string : null
}

export function normalizedForGrpcStatus (name: string): NormalizedCode | null {
  return Object.prototype.hasOwnProperty.call(byGrpcStatus, name) ? byGrpcStatus[name] as NormalizedCode : null
}

/**
 * OAuth 2.0's error codes: the token endpoint's (RFC 6749, section 5.2) and a
 * protected resource's (RFC 6750, section 3.1), sent as
 * {"error":"invalid_token","error_description":"..."}.
 */
const byOAuthError: Record<string, NormalizedCode> = {
  invalid_request: 'invalid_request',
  invalid_client: 'unauthenticated',
  invalid_grant: 'unauthenticated',
  unauthorized_client: 'permission_denied',
  unsupported_grant_type: 'invalid_request',
  invalid_scope: 'invalid_request',
  invalid_token: 'unauthenticated',
  insufficient_scope: 'permission_denied'
}

export function normalizedForOAuthError (code: string): NormalizedCode | null {
  return Object.hasOwn(byOAuthError, code) ? byOAuthError[code] as NormalizedCode : null
}

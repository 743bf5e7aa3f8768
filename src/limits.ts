// Limits every adapter shares.

/** Largest upstream body errcat accepts: 1 MiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024

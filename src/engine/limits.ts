// Every bound errcat puts on what it is given, in one place: the service, the
// library and the CLI keep to the same ones.

/** Largest upstream body errcat classifies: 1 MiB. */
export const BODY_LIMIT_BYTES = 1024 * 1024
/** Most items in one batch. */
export const BATCH_LIMIT = 100
/**
 * How deep JSON may nest before errcat hands it to JSON.parse. A hostile body
 * nested 100,000 deep costs JSON.parse many times a flat one of the same size;
 * a real error body nests a few levels.
 */
export const JSON_DEPTH_LIMIT = 64
/** Longest code errcat looks up (a catalog code is far shorter). */
export const CODE_LENGTH_LIMIT = 128
/** Longest search query. */
export const QUERY_LENGTH_LIMIT = 200
/** Search pages: at most this many entries, from an offset up to this one. */
export const SEARCH_PAGE_LIMIT = 100
export const SEARCH_OFFSET_LIMIT = 1_000_000
export const DEFAULT_SEARCH_LIMIT = 20
/** Longest source id taken from a caller. */
export const SOURCE_ID_LENGTH_LIMIT = 64
/** Longest header value a batch item may carry (read only up to HEADER_VALUE_LIMIT). */
export const BATCH_HEADER_VALUE_LIMIT = 8192
/** Longest Accept or If-None-Match header that is read; a longer one is ignored. */
export const NEGOTIATED_HEADER_LIMIT = 1024
/** How much of a request path a problem echoes as its instance, and in a not-found detail. */
export const ECHOED_PATH_LIMIT = 256
export const NOT_FOUND_PATH_LIMIT = 200

/** Upstream header values are cut to this length before anything reads them. */
export const HEADER_VALUE_LIMIT = 256
/** Header lines errcat reads from a saved HTTP response (message/http); real responses have a few dozen. */
export const MESSAGE_HEADER_LINES_LIMIT = 256
/** How far into a body the text scans look. Upstream error bodies are small; the rest is noise. */
export const SCAN_LIMIT = 64 * 1024
/** How many lines of a server-sent event stream are read at most. */
export const SSE_LINE_LIMIT = 2000
/** Longest string read from a body field; longer ones are cut. */
export const FIELD_LIMIT = 4096
/** Phrases are short, so matching them looks at the head of a message only. */
export const MESSAGE_SCAN_LIMIT = 4096
/** How much of a message an entry's message hints look at. */
export const HINT_SCAN_LIMIT = 1024
/** How much of an HTML page's visible text is read for a delay it states. */
export const PAGE_TEXT_LIMIT = 1024
/** How many distinct event names of an SSE stream are kept. */
export const SSE_EVENT_NAMES_LIMIT = 16

/** Longest upstream message echoed back; the rest is cut with an ellipsis. */
export const MESSAGE_LIMIT = 512
/** Longest template capture echoed back. */
export const PARAM_LIMIT = 256
/** Longest upstream request id echoed back. */
export const REQUEST_ID_LIMIT = 256

/** The longest upstream-requested wait treated as retryable, by default and at most, in seconds. */
export const DEFAULT_MAX_RETRY_AFTER_S = 120
export const MAX_RETRY_AFTER_S_LIMIT = 86_400
/** Longest delay errcat will ever report, whatever an upstream asks: a day. */
export const DELAY_CEILING_MS = 86_400_000

// The usage text `errcat help` prints. Kept within 80 columns.

/** The exit codes every command keeps to. */
export const EXIT = {
  /** Found or classified (and help). */
  OK: 0,
  /** lookup: no entry for the code; search: nothing matches. */
  NOT_FOUND: 1,
  /** Unknown command or option, a bad value, an unknown --source, an unreadable FILE. */
  USAGE: 2,
  /** The catalog directory does not load. */
  INVALID_CATALOG: 3
} as const

export const USAGE = `errcat: what an upstream HTTP error means and what to do about it, from the
errcat catalog, in a terminal. The same engine as the errcat service.

Usage:
  errcat lookup CODE [--source ID] [--catalog DIR] [--json]
      Every catalog entry for a platform error code (any case), as
      GET /codes/CODE answers.
  errcat classify [FILE|-] [--status N] [--source ID]
                  [--header 'NAME: VALUE']... [--content-type TYPE]
                  [--catalog DIR] [--json]
      Classifies an upstream error body read from FILE, or from standard input
      when FILE is - or absent (an empty body is fine), as POST /classify.
      A whole response as \`curl -si\` prints it (status line, headers, a
      blank line, the body) gives its status and headers too; the options
      still win:  curl -si URL | errcat classify -
  errcat search [QUERY...] [--source ID] [--normalized-code CODE] [--limit N]
                [--offset N] [--catalog DIR] [--json]
      Entries whose code, title, description or message contain every word of
      QUERY, as GET /codes?q=QUERY answers.
  errcat check-catalog [DIR]
      Validates a catalog directory exactly as the service does at boot, and
      prints its version and entry counts.
  errcat serve [--catalog DIR]
      Starts the HTTP service, configured by PORT, HOST, LOG_LEVEL,
      MAX_RETRY_AFTER_S and SHED_EVENT_LOOP_DELAY_MS; SIGTERM or SIGINT
      stops it, SIGHUP reloads the catalog.
  errcat help | errcat --help | errcat -h | errcat --version

Options:
  --json              Print exactly the JSON the HTTP API answers, on one line.
                      For an unknown code, lookup prints the service's 404
                      problem without its request-specific instance and
                      request_id members.
  --source ID         A source id (errcat check-catalog lists them). For
                      classify, the source that sent the error; it wins over
                      detection.
  --catalog DIR       The catalog to use. Default: $CATALOG_DIR when set, else
                      the catalog bundled with errcat. check-catalog takes DIR
                      as its argument, with the same default.
  --status N          The upstream HTTP status, an integer from 100 to 599.
  --header 'NAME: VALUE'
                      An upstream response header; repeat for several. errcat
                      reads the ones it knows (Retry-After, Retry-After-Ms,
                      X-Request-Id, X-Should-Retry, Server, ...), in any case,
                      with or without an X-Upstream- prefix; Content-Type sets
                      the body's content type; other headers are ignored.
  --content-type TYPE The upstream body's content type (wins over a
                      Content-Type --header).
  --normalized-code CODE
                      Only entries with this normalized code, e.g. rate_limited.
  --limit N           At most N entries, 1 to 100 (default 20).
  --offset N          Skip the first N entries, 0 to 1000000 (default 0).
  -h, --help          Print this help.

Without --json, the output is the service's text answer (?format=text); for an
unknown code, without its Request id line. MAX_RETRY_AFTER_S applies to
classify as it does to the service (default 120).

Exit codes:
  0  found or classified (also for help and a valid catalog)
  1  not found: lookup knows no entry for CODE (it prints the nearest codes),
     or search matches nothing
  2  usage error: unknown command or option, a missing or extra argument, a bad
     value (--status abc or 999, --limit 0, ...), an unknown --source, an
     unreadable FILE, a body over 1 MiB, or a bad environment variable
  3  invalid catalog: the message names the file, the entry and the field
`

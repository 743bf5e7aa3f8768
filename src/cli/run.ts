// The errcat command line as one function: argv and streams in, exit code
// out. src/cli.ts runs it with the process's streams; tests run it in-process.
import { CatalogError } from '../catalog/load.js'
import { ConfigError } from '../engine/settings.js'
import { UnknownSourceError } from '../engine/errors.js'
import { PACKAGE_VERSION } from '../catalog/paths.js'
import { checkCatalogCommand, classifyCommand, help, lookupCommand, searchCommand, serveCommand } from './commands.js'
import { EXIT } from './help.js'
import { UsageError, type CliIo } from './options.js'

export type { CliIo, Writer } from './options.js'
export { EXIT, USAGE } from './help.js'

const commands: Record<string, (args: readonly string[], io: CliIo) => Promise<number>> = {
  lookup: lookupCommand,
  classify: classifyCommand,
  search: searchCommand,
  'check-catalog': checkCatalogCommand,
  serve: serveCommand
}

/** node:util parseArgs throws TypeErrors with ERR_PARSE_ARGS_* codes for a bad command line. */
function isParseArgsError (error: unknown): error is Error {
  return error instanceof TypeError && String((error as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS_')
}

function usageError (io: CliIo, message: string): number {
  io.stderr.write(`errcat: ${message}\nRun "errcat help" for usage.\n`)
  return EXIT.USAGE
}

/** Runs one errcat command line (argv without node and the script) and returns its exit code. */
export async function run (argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...args] = argv
  if (command === undefined) return usageError(io, 'a command is missing: lookup, classify, search, check-catalog or serve')
  if (command === 'help' || command === '--help' || command === '-h') {
    const topic = args[0]
    if (topic !== undefined && !Object.hasOwn(commands, topic)) return usageError(io, `unknown command "${topic}"`)
    return help(io)
  }
  if (command === '--version') {
    io.stdout.write(`errcat ${PACKAGE_VERSION}\n`)
    return EXIT.OK
  }
  const handler = Object.hasOwn(commands, command) ? commands[command] : undefined
  if (handler === undefined) {
    return usageError(io, command.startsWith('-') ? `unknown option "${command}" before the command` : `unknown command "${command}"`)
  }
  try {
    return await handler(args, io)
  } catch (error) {
    if (error instanceof UsageError || error instanceof UnknownSourceError || error instanceof ConfigError || isParseArgsError(error)) {
      return usageError(io, error.message)
    }
    if (error instanceof CatalogError) {
      io.stderr.write(`errcat: invalid catalog: ${error.message}\n`)
      return EXIT.INVALID_CATALOG
    }
    throw error
  }
}

// Errors the engine raises for bad input, so every adapter (HTTP, library,
// CLI) can turn them into its own kind of answer.
export class UnknownSourceError extends Error {
  override name = 'UnknownSourceError'
  constructor (readonly source: string, readonly validIds: readonly string[]) {
    super(`Unknown source "${source.slice(0, 64)}". Valid sources: ${validIds.join(', ')}.`)
  }
}

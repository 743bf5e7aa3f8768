// The layers of src/ and what each may load. `npm run deps` checks them; the
// test suite runs it too. Arrows point one way: ops -> http -> engine -> catalog.
// The CLI uses the engine and the catalog, the problem registry for its --json
// answers, and loads the service only when asked to serve.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module imports itself back at run time.',
      from: {},
      to: { circular: true, dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'entries-are-on-top',
      severity: 'error',
      comment: 'The entry files (index, server, main, cli) are for the outside; no part imports them.',
      from: { path: '^src/[^/]+/' },
      to: { path: '^src/[^/]+\\.ts$' }
    },
    {
      name: 'catalog-is-the-bottom',
      severity: 'error',
      comment: 'The catalog knows nothing of the engine, HTTP, operations or the CLI.',
      from: { path: '^src/catalog/' },
      to: { path: '^src/(engine|http|ops|cli)/' }
    },
    {
      name: 'engine-uses-only-the-catalog',
      severity: 'error',
      comment: 'The engine is plain TypeScript over the catalog.',
      from: { path: '^src/engine/' },
      to: { path: '^src/(http|ops|cli)/' }
    },
    {
      name: 'http-does-not-reach-up',
      severity: 'error',
      comment: 'HTTP adapts the engine; assembly and operations are above it.',
      from: { path: '^src/http/' },
      to: { path: '^src/(ops|cli)/' }
    },
    {
      name: 'ops-does-not-use-the-cli',
      severity: 'error',
      from: { path: '^src/ops/' },
      to: { path: '^src/cli/' }
    },
    {
      name: 'cli-uses-engine-and-catalog',
      severity: 'error',
      comment: 'Besides the engine and the catalog, the CLI takes problem types from the registry, and the service only through a dynamic import for `errcat serve`.',
      from: { path: '^src/cli/' },
      to: { path: '^src/(http|ops)/', pathNot: '^src/http/problems\\.ts$', dependencyTypesNot: ['dynamic-import'] }
    },
    {
      name: 'no-server-in-engine-or-catalog',
      severity: 'error',
      comment: 'The engine and the catalog load no HTTP server, logger or metrics library.',
      from: { path: '^src/(engine|catalog)/' },
      to: { path: 'node_modules/(fastify|@fastify|pino|prom-client|close-with-grace)', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'problem-registry-loads-no-server',
      severity: 'error',
      comment: 'The CLI prints problems from the registry, so it loads no Fastify.',
      from: { path: '^src/http/problems\\.ts$' },
      to: { path: 'node_modules/(fastify|@fastify|pino|prom-client)', dependencyTypesNot: ['type-only'] }
    },
    {
      name: 'library-loads-no-server',
      severity: 'error',
      comment: "import('errcat') loads no Fastify, pino or prom-client.",
      from: { path: '^src/index\\.ts$' },
      to: { path: 'node_modules/(fastify|@fastify|pino|prom-client|close-with-grace)', reachable: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.build.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] }
  }
}

// Dependency rules of the source tree (`npm run check` runs them): no import cycles, and each folder imports only the
// layers below it. The workflow sandbox's own rule (no zod, axios or Node built-ins at runtime) is also an eslint
// rule on workflows/ (eslint.config.mjs), which names the offending import in the editor.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle: modules that need each other belong in one module, or the shared part in a third.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'olostep-is-the-bottom-layer',
      severity: 'error',
      comment: 'olostep/ is the AirOps HTTP API and nothing else: no Temporal, no project layer above it.',
      from: { path: '^olostep/' },
      to: {
        path: ['^node_modules/@temporalio/', '^(workflows|activities|worker|client|webhooks|demo|simulator|testing)/'],
      },
    },
    {
      name: 'workflows-are-deterministic',
      severity: 'error',
      comment:
        'Workflow code runs in the sandbox and is bundled for it: no runtime import of Node built-ins, zod, axios, ' +
        'or of the Node-side layers (type-only imports are fine).',
      from: { path: '^workflows/' },
      to: {
        dependencyTypesNot: ['type-only'],
        path: [
          '^node_modules/(zod|axios)/',
          '^(activities|worker|client|webhooks|demo|simulator|testing)/',
          '^olostep/(index|client|schemas|response-errors)\\.ts$',
        ],
      },
    },
    {
      name: 'workflows-no-node-builtins',
      severity: 'error',
      comment: 'Workflow code: no Node built-ins at runtime.',
      from: { path: '^workflows/' },
      to: { dependencyTypes: ['core'], dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'client-below-the-processes',
      severity: 'error',
      comment: 'client/ is a library other services import: it must not pull in the worker, receiver or demo.',
      from: { path: '^client/', pathNot: '^client/cli/' },
      to: { path: '^(worker|webhooks|demo)/' },
    },
    {
      name: 'kit-not-on-tests',
      severity: 'error',
      comment: 'kit/ is what test/ and bench/ share: it imports neither.',
      from: { path: '^kit/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'product-not-on-tests',
      severity: 'error',
      comment: 'Shipped code never imports tests, their kit or benchmarks.',
      from: { path: '^(olostep|workflows|activities|worker|client|webhooks|demo|simulator|testing)/' },
      to: { path: '^(test|kit|bench)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist|examples)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};

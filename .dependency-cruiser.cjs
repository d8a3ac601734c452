/**
 * The house rules of src/ (docs/architecture.md draws them), checked by `npm run lint:deps`,
 * which `npm test` runs first: no import cycles, and each stage imports only the stages
 * below it.
 *
 *   core, util                 bottom: random numbers, atomic files, paths, versions
 *   graph, engine              layouts and adjacency; the TensorFlow.js backend and kernels
 *   data, viz                  readers, caches, transforms; skeleton drawings
 *   pose, models               video → joints; the networks
 *   train                      the trainer, losses, evaluation
 *   text-priors                plugs into training from above
 *   serve                      stream classification and repetitions, for Node and browsers
 *   queue                      jobs over Redis (BullMQ): knows queues, not poses or models
 *   cli, browser, index.ts     entry points: may import anything
 *
 * Imports that break a rule today and are being removed are listed, with the reason, in
 * .dependency-cruiser-known-violations.json (made by `npx depcruise-baseline`); a new one fails.
 */
const below = {
  core: [],
  util: ['core'],
  graph: ['core', 'util'],
  engine: ['core', 'util'],
  data: ['core', 'util', 'graph'],
  viz: ['core', 'util', 'graph'],
  pose: ['core', 'util', 'graph', 'data'],
  models: ['core', 'util', 'graph', 'engine'],
  train: ['core', 'util', 'graph', 'engine', 'data', 'models', 'viz'],
  'text-priors': ['core', 'util', 'graph', 'engine', 'data', 'models', 'train'],
  serve: ['core', 'util', 'graph', 'engine', 'data', 'models', 'pose'],
  queue: ['core', 'util'],
};

const layerRules = Object.entries(below).map(([stage, allowed]) => ({
  name: `layer-${stage}`,
  comment: `src/${stage} may import only ${allowed.length ? allowed.map((s) => `src/${s}`).join(', ') : 'nothing else in src'}`,
  severity: 'error',
  from: { path: `^src/${stage}/` },
  to: { path: '^src/', pathNot: [`^src/${stage}/`, ...allowed.map((s) => `^src/${s}/`)] },
}));

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle: modules that cannot be understood, tested or loaded one without the other',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    ...layerRules,
    {
      name: 'cli-command-to-command',
      comment:
        'a CLI command imports no other command: what two commands share is a library function (or a src/cli helper)',
      severity: 'error',
      from: { path: '^src/cli/commands/([^/]+)[.]ts$' },
      to: { path: '^src/cli/commands/', pathNot: '^src/cli/commands/$1[.]ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|node_modules)' },
    // Type-only imports count: a cycle of types is still a cycle a reader has to untangle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};

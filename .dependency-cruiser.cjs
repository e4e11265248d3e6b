/**
 * The architecture check (docs/architecture.md): part of `pnpm test` through `pnpm run arch`.
 * Core's folders are layers; the stages (backup, verify, restore, repair, prune, wal) sit side by side and never import
 * each other; schedule and status compose them. Type-only imports count: a cycle through types is still a cycle.
 */
const CORE = '^packages/core/src/';
const STAGES = ['backup', 'verify', 'restore', 'repair', 'prune', 'wal'];
/** From the bottom up: a folder may import its own and lower layers only. */
const LAYERS = [
  ['util', 'pipeline', 'plugins'],
  ['manifest', 'config'],
  ['catalog'],
  ['copies', 'locks'],
  ['session', 'notify', 'readback', 'copy-write', 'results', 'store'],
  STAGES,
  ['schedule', 'status'],
];
/** Tests and test harnesses exercise whole flows: they are held to the cycle rule only. */
const TESTS = '\\.test\\.ts$|/testing/|/__fixtures__/';

function layerRules() {
  return LAYERS.flatMap((layer, index) => {
    const higher = LAYERS.slice(index + 1).flat();
    if (higher.length === 0) return [];
    return [
      {
        name: `core-layer-${layer.join('-')}`,
        comment: `core/${layer.join(', core/')} may not import a higher layer (${higher.join(', ')})`,
        severity: 'error',
        from: { path: `${CORE}(${layer.join('|')})/`, pathNot: TESTS },
        to: { path: `${CORE}(${higher.join('|')})/` },
      },
    ];
  });
}

function stageRules() {
  return STAGES.map((stage) => ({
    name: `core-stage-${stage}`,
    comment: `the ${stage} stage may not import another stage: share through copies, session or a lower layer`,
    severity: 'error',
    from: { path: `${CORE}${stage}/`, pathNot: TESTS },
    to: { path: `${CORE}(${STAGES.filter((other) => other !== stage).join('|')})/` },
  }));
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'an import cycle (type imports included)',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'core-imports-no-plugin',
      comment: 'core drives plugins through the contract; it never imports one',
      severity: 'error',
      from: { path: '^packages/(core|contract|plugin-support)/' },
      to: { path: '^plugins/|@tricopy/(source|destination)-' },
    },
    {
      name: 'plugin-imports-no-plugin',
      comment: 'a plugin never imports another plugin',
      severity: 'error',
      from: { path: '^plugins/([^/]+)/' },
      to: { path: '^plugins/|@tricopy/(source|destination)-', pathNot: '^plugins/$1/' },
    },
    {
      name: 'core-top-level-only-from-index',
      comment: 'index.ts, logging.ts and version.ts are the top; folders import logging and version only',
      severity: 'error',
      from: { path: `${CORE}[^/]+/` },
      to: { path: `${CORE}index\\.ts$` },
    },
    ...layerRules(),
    ...stageRules(),
  ],
  options: {
    doNotFollow: { path: '(^|/)(node_modules|dist)/' },
    exclude: { path: '\\.d\\.ts$' },
    tsPreCompilationDeps: true,
    combinedDependencies: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'types', 'default'] },
  },
};

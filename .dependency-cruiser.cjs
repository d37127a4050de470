/**
 * The one-way layout (issue #12), checked by src/layout.test.ts (part of `npm test`):
 *
 *   ui → api → workers → train → infer → nn → grad
 *
 * with leaves that anything may import: src/errors.ts (the error type), src/eval/ (metrics), src/data/ (CSV ingest,
 * Arrow, OPFS; imports only errors). Nothing imports upward or sideways: infer never imports train, grad imports
 * nothing outside grad, nn nothing above nn, ui only the api. No cycles anywhere.
 */
const layer = (name, folder, allowed) => ({
  name: `${name}-imports-down-only`,
  comment: `${folder} may import only ${allowed.join(', ')}`,
  severity: 'error',
  from: { path: `^${folder}` },
  to: { path: '^(src|workers)/', pathNot: `^(${[folder, ...allowed].map((p) => p.replace(/[.]/g, '\\.')).join('|')})` },
});

// src/label/types.ts: the label API's types (imports nothing), used by the ui and the api alike.
const LEAVES = ['src/errors.ts', 'src/label/types.ts'];

module.exports = {
  forbidden: [
    { name: 'no-circular', severity: 'error', comment: 'Imports flow one way: no cycles.', from: {}, to: { circular: true } },
    layer('errors', 'src/errors.ts', []),
    layer('eval', 'src/eval/', LEAVES),
    layer('data', 'src/data/', LEAVES),
    layer('grad', 'src/grad/', LEAVES),
    layer('nn', 'src/nn/', ['src/grad/', ...LEAVES]),
    layer('infer', 'src/infer/', ['src/nn/', 'src/grad/', 'src/eval/', ...LEAVES]),
    layer('label', 'src/label/', ['src/grad/', 'src/eval/', 'src/data/', ...LEAVES]),
    layer('train', 'src/train/', ['src/infer/', 'src/nn/', 'src/grad/', 'src/eval/', 'src/data/', ...LEAVES]),
    layer('workers', 'workers/', ['src/label/', 'src/train/', 'src/infer/', 'src/data/', 'src/nn/', 'src/grad/', 'src/eval/', ...LEAVES]),
    layer('api', 'src/api/', ['workers/', 'src/label/', 'src/train/', 'src/infer/', 'src/data/', 'src/nn/', 'src/grad/', 'src/eval/', ...LEAVES]),
    layer('ui', 'src/ui/', ['src/api/', 'src/eval/', ...LEAVES]),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'], extensions: ['.ts', '.tsx', '.js', '.mjs'] },
  },
};

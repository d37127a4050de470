// Bundles the labelling code (src/label, the label log, SourceLabels) into bench/out/label-bundle.mjs with
// rolldown and imports it, so the label benchmarks run under plain Node 20 without a TypeScript loader.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function loadLabel() {
  const entry = path.join(here, 'out', 'label-entry.ts');
  fs.mkdirSync(path.dirname(entry), { recursive: true });
  fs.writeFileSync(
    entry,
    [
      "export * from '../../src/label/features';",
      "export * from '../../src/label/linear';",
      "export * from '../../src/label/queue';",
      "export { SuggesterCore } from '../../src/label/suggester';",
      "export * from '../../src/data/label-log';",
      "export { SourceLabels, applyLabels } from '../../src/data/labels';",
      "export { tableFromArrays } from 'apache-arrow';",
      "export { ingestCsv } from '../../src/data/ingest';",
      '',
    ].join('\n'),
  );
  const file = path.join(here, 'out', 'label-bundle.mjs');
  await build({ input: entry, output: { file, format: 'esm' }, platform: 'node', logLevel: 'warn' });
  return import(pathToFileURL(file).href);
}

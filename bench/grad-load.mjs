// Bundles src/grad + src/nn (TypeScript) into bench/out/grad-bundle.mjs with rolldown and imports it, so the
// grad benchmarks run under plain Node 20 without a TypeScript loader.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'rolldown';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function loadGrad() {
  const entry = path.join(here, 'out', 'grad-entry.ts');
  const fs = await import('node:fs');
  fs.mkdirSync(path.dirname(entry), { recursive: true });
  fs.writeFileSync(entry, "export * from '../../src/grad';\nexport * as nn from '../../src/nn';\nexport * as wasm from '../../src/grad/backends/wasm';\n");
  const file = path.join(here, 'out', 'grad-bundle.mjs');
  await build({ input: entry, output: { file, format: 'esm' }, platform: 'neutral', logLevel: 'warn' });
  return import(pathToFileURL(file).href);
}

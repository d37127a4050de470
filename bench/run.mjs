// `npm run bench`: builds the app, serves it, runs every benchmark and prints one Markdown table per benchmark.
// Usage: node bench/run.mjs [name ...]   (names: the bench/*.bench.mjs files, e.g. `ingest`)
import { spawn, execSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const wanted = process.argv.slice(2);
const benches = fs
  .readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.slice(0, -'.bench.mjs'.length))
  // `gpu` needs a real GPU (bench/gpu.sh runs it): only when named.
  .filter((name) => (wanted.length === 0 ? name !== 'gpu' : wanted.includes(name)))
  .sort();

// Its own build folder: a test run rebuilding dist/ meanwhile cannot pull assets from under the benchmark.
const outDir = 'bench/out/dist';
// Our WASM kernels first (`npm run bench` does it as prebench; `node bench/run.mjs` did not, and a stale
// kernels.gen.js lacks kernels the engine calls).
execSync('npm run build:wasm --silent', { cwd: root, stdio: 'inherit' });
execSync(`npx vite build --outDir ${outDir} --emptyOutDir`, { cwd: root, stdio: 'inherit' });
// A free port, so that two benchmark runs (or a test run) never talk to each other's server.
const port = await new Promise((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const server = spawn('npx', ['vite', 'preview', '--outDir', outDir, '--host', '127.0.0.1', '--port', String(port), '--strictPort'], {
  cwd: root,
  // The benches' Hub-layout servers (bench/infer-hub.mjs) listen on free 127.0.0.1 ports: the app's CSP lets it
  // connect to them, as the tests' does (playwright.config.ts).
  env: { ...process.env, JAMMI_MODELS_DIR: process.env.JAMMI_MODELS_DIR ?? path.resolve(root, '../shared/models'), JAMMI_HUB_HOST: process.env.JAMMI_HUB_HOST ?? 'http://127.0.0.1:*' },
  stdio: 'ignore',
  detached: true,
});
const baseURL = `http://127.0.0.1:${port}`;
let exited = false;
server.on('exit', () => (exited = true));
for (let i = 0; ; i++) {
  if (exited) throw new Error(`vite preview exited before serving on port ${port}`);
  try {
    if ((await fetch(baseURL)).ok) break;
  } catch {
    if (i > 120) throw new Error('vite preview did not start');
    await new Promise((r) => setTimeout(r, 500));
  }
}

const machine = `${(await import('node:os')).cpus().length} cores, ${Math.round((await import('node:os')).totalmem() / 2 ** 30)} GiB, ${process.platform}`;
try {
  for (const name of benches) {
    const { run } = await import(path.join(here, `${name}.bench.mjs`));
    const result = await run({ baseURL, root });
    // A bench returns one table, plus optionally more in `tables` (e.g. a breakdown of the first).
    for (const [i, { title, columns, rows, notes }] of [result, ...(result.tables ?? [])].entries()) {
      console.log(`\n${i === 0 ? '###' : '####'} ${title}\n`);
      if (i === 0) console.log(`_${machine}, ${new Date().toISOString().slice(0, 10)}_\n`);
      console.log(`| ${columns.join(' | ')} |\n|${columns.map(() => ' --- ').join('|')}|`);
      for (const r of rows) console.log(`| ${r.join(' | ')} |`);
      if (notes) console.log(`\n${notes}`);
    }
  }
} finally {
  if (!exited) process.kill(-server.pid);
}

// The benchmarks' generated models (bench/models/, git-ignored, never committed): made on first use by
// ../shared/tools/make_fixture.py with Debian's python3-torch.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const MINILM_SHAPE = ['--hidden', '384', '--layers', '6', '--heads', '12', '--intermediate', '1536', '--max-positions', '512'];
const KINDS = {
  'minilm-shape': ['--arch', 'bert', '--labels', 'ham,spam', '--calibrate', '../shared/datasets/sms-spam.csv'],
  'minilm-embed': ['--arch', 'bert', '--task', 'embedding'],
};

/** bench/models/<name> (a MiniLM-L6-shaped BERT: 384 wide, 6 layers, 12 heads), generated when missing. */
export function benchModel(name) {
  const dir = path.join(root, 'bench/models', name);
  if (fs.existsSync(path.join(dir, 'onnx/model.onnx')) && fs.existsSync(path.join(dir, 'model.safetensors'))) return dir;
  if (!KINDS[name]) throw new Error(`no recipe for bench model ${name}`);
  process.stderr.write(`Generating ${dir} (MiniLM-L6 shape, ~90 MB; needs Debian's python3-torch)…\n`);
  execFileSync('/usr/bin/python3', ['../shared/tools/make_fixture.py', ...KINDS[name], ...MINILM_SHAPE, '--tokenizer', '../shared/tokenizers/bert-base-uncased', '--out', dir], { cwd: root, stdio: 'inherit' });
  return dir;
}

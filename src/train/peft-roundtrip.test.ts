/**
 * The adapter format, proven against PyTorch: adapters we write load as PEFT would load them (LoRA at the configured
 * target modules, modules_to_save into the head, a resized output layer) and predict what we predict; adapters
 * written with PEFT's keys and config by PyTorch predict the same here; the projection-head format's documented
 * math gives our logits. The oracle is src/train/testdata/peft_adapter.py (plain PyTorch, no peft package).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JsBackend, Rng, Tensor, tidy } from '../grad';
import { softmax } from '../infer/head';
import { loadClassifier, type ModelFiles } from '../nn/sequence-classifier';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS, readAdapter, writeAdapter, type EncoderAdapterConfig, type HeadAdapterConfig } from '../nn/adapter-files';
import { resolveConfig } from './config';
import { applyProjectionHead, isHeadParam, mergeEncoderAdapter } from '../nn/adapter-merge';
import { tokenBatch } from '../nn/token-batch';
import { setupEncoderTarget } from './encoder-target';
import { setupHeadTarget } from './head-target';
import { torchOracle } from '../nn/testdata/torch-oracle';

const MODELS = path.resolve(__dirname, '../../../shared/models');
const SCRIPT = path.resolve(__dirname, 'testdata/peft_adapter.py');
// JAMMI_TORCH_PYTHON overrides the interpreter (only to test the skip path); CI=true fails instead of skipping.
const { python: PYTHON, hasTorch, why: SKIP_WHY } = torchOracle('peft-roundtrip.test');

const TOL = 1e-4;
const CLASSES = ['alpha', 'beta', 'gamma'];

interface TorchOut {
  labels: string[];
  logits: number[][];
  probs: number[][];
  probs_without_lora: number[][];
  lora_modules: string[];
}

interface Case {
  model: string;
  arch: 'bert' | 'roberta' | 'distilbert' | 'modernbert';
  targets: string[];
  layers: number[] | null;
  /** The head modules trained in full, as documented (not read from MODULES_TO_SAVE, so a change there is caught). */
  modulesToSave: string[];
  /** ours → PyTorch uses this; PyTorch → ours the opposite, so each direction covers both scalings. */
  rslora: boolean;
}

const CASES: Case[] = [
  { model: 'bert-tiny-sentiment', arch: 'bert', targets: ['query', 'value'], layers: null, modulesToSave: ['classifier'], rslora: false },
  { model: 'roberta-tiny-spam', arch: 'roberta', targets: ['query', 'value'], layers: null, modulesToSave: ['classifier'], rslora: true },
  { model: 'distilbert-tiny-emotion', arch: 'distilbert', targets: ['q_lin', 'v_lin', 'lin1'], layers: [1], modulesToSave: ['pre_classifier', 'classifier'], rslora: false },
  { model: 'modernbert-tiny-cls', arch: 'modernbert', targets: ['Wqkv', 'Wo'], layers: null, modulesToSave: ['head', 'classifier'], rslora: true },
];

const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

function baseFiles(model: string): ModelFiles {
  const dir = path.join(MODELS, model);
  return { config: readJson(path.join(dir, 'config.json')), weights: new Uint8Array(readFileSync(path.join(dir, 'model.safetensors'))) };
}

/** reference.json's rows with the trailing padding trimmed (the same ids go to both sides). */
function inputs(model: string): { input_ids: number[][]; attention_mask: number[][]; rows: number[][] } {
  const ref = readJson(path.join(MODELS, model, 'reference.json')) as { input_ids: number[][]; attention_mask: number[][] };
  const width = Math.max(...ref.attention_mask.map((m) => m.reduce((a, b) => a + b, 0)));
  const rows = ref.input_ids.map((r, i) => r.slice(0, ref.attention_mask[i].reduce((a, b) => a + b, 0)));
  return { input_ids: ref.input_ids.map((r) => r.slice(0, width)), attention_mask: ref.attention_mask.map((r) => r.slice(0, width)), rows };
}

// Only made when the comparison runs: a skipped file never runs its afterAll.
const tmpRoot = hasTorch ? mkdtempSync(path.join(os.tmpdir(), 'peft-roundtrip-')) : '';
afterAll(() => {
  if (!tmpRoot) return;
  if (process.env.JAMMI_KEEP_TMP) console.log(`peft-roundtrip.test: adapters and oracle outputs kept in ${tmpRoot}`);
  else rmSync(tmpRoot, { recursive: true, force: true });
});

function python(mode: 'apply' | 'make' | 'head', model: string, adapterDir: string, req: unknown): unknown {
  const reqPath = path.join(adapterDir, `${mode}-req.json`);
  const outPath = path.join(adapterDir, `${mode}-out.json`);
  writeFileSync(reqPath, JSON.stringify(req));
  const run = spawnSync(PYTHON, [SCRIPT, mode, path.join(MODELS, model), adapterDir, reqPath, outPath], { encoding: 'utf8', timeout: 120_000 });
  expect(run.status, `${SCRIPT} ${mode} failed:\n${run.stderr}`).toBe(0);
  return readJson(outPath);
}

function saveFiles(dir: string, files: Record<string, Uint8Array>) {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
}

const loadFiles = (dir: string) => ({
  [ADAPTER_CONFIG]: new Uint8Array(readFileSync(path.join(dir, ADAPTER_CONFIG))),
  [ADAPTER_WEIGHTS]: new Uint8Array(readFileSync(path.join(dir, ADAPTER_WEIGHTS))),
});

const maxAbs = (a: number[][]) => Math.max(...a.map((r) => Math.max(...r.map(Math.abs))));

const maxDiff = (a: ArrayLike<number>[], b: ArrayLike<number>[]) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  a.forEach((row, i) => {
    expect(row.length).toBe(b[i].length);
    for (let j = 0; j < row.length; j++) m = Math.max(m, Math.abs(row[j] - b[i][j]));
  });
  return m;
};

/** Our inference path on saved files: readAdapter → mergeEncoderAdapter → loadClassifier (CPU) → softmax. */
function ours(model: string, adapterDir: string, input: ReturnType<typeof inputs>) {
  const adapter = readAdapter(loadFiles(adapterDir));
  expect('peft_type' in adapter.config).toBe(true);
  const backend = new JsBackend('f32');
  const merged = loadClassifier(mergeEncoderAdapter(baseFiles(model), adapter.config as EncoderAdapterConfig, adapter.tensors), backend);
  try {
    const flat = tidy(() => Float32Array.from(merged.forward(input.input_ids, input.attention_mask).dataSync()));
    const n = merged.labels.length;
    const logits = input.input_ids.map((_, i) => Array.from(flat.subarray(i * n, (i + 1) * n)));
    return { labels: [...merged.labels], logits, probs: logits.map((l) => Array.from(softmax(l))) };
  } finally {
    merged.dispose();
  }
}

describe.skipIf(!hasTorch)(hasTorch ? 'PEFT adapter format vs PyTorch' : `PEFT adapter format vs PyTorch — SKIPPED: ${SKIP_WHY}`, () => {
  it.each(CASES)('ours → PyTorch: $model (rslora $rslora) written by writeAdapter, loaded as PEFT loads it, predicts the same', async (c) => {
    const input = inputs(c.model);
    const files = baseFiles(c.model);
    const config = resolveConfig('encoder', { lora_rank: 4, lora_alpha: 8, use_rslora: c.rslora, lora_dropout: 0, seed: 5, target_modules: c.targets, layers_to_transform: c.layers });
    const backend = new JsBackend('f32');
    const setup = setupEncoderTarget({ files, baseModel: c.model, backend, config, classes: CLASSES, tokens: input.rows, padId: 0 });
    let ourModelLogits: number[][];
    let written: Record<string, Uint8Array>;
    try {
      // As after training: B non-zero (PEFT starts it at 0) and the head moved well away from its fresh init, so both the
      // LoRA term and every head tensor change the predictions.
      for (const p of setup.trainable.params) {
        const name = p.name!;
        const cur = await p.read();
        const noise = Rng.forKey(9, name).fillNormal(new Float32Array(p.size), name.endsWith('.lora_B.weight') ? 0.1 : 0.3);
        const next = name.endsWith('.lora_B.weight') ? noise : cur.map((v, i) => v + noise[i]);
        const t = Tensor.fromData(backend, next, p.shape);
        p.assign(t);
        t.dispose();
      }
      const flat = tidy(() => Float32Array.from(setup.model.forward(tokenBatch(input.rows, 0)).dataSync()));
      ourModelLogits = input.rows.map((_, i) => Array.from(flat.subarray(i * CLASSES.length, (i + 1) * CLASSES.length)));
      const adapter = await setup.adapter();
      expect(adapter.config).toMatchObject({ peft_type: 'LORA', task_type: 'SEQ_CLS', r: 4, lora_alpha: 8, use_rslora: c.rslora, modules_to_save: c.modulesToSave });
      written = writeAdapter(adapter);
    } finally {
      setup.dispose();
    }
    const dir = path.join(tmpRoot, `ours-${c.model}`);
    saveFiles(dir, written);
    const torch = python('apply', c.model, dir, { input_ids: input.input_ids, attention_mask: input.attention_mask }) as TorchOut;
    const us = ours(c.model, dir, input);

    expect(torch.labels).toEqual(CLASSES);
    expect(us.labels).toEqual(CLASSES);
    const cfg = JSON.parse(new TextDecoder().decode(written[ADAPTER_CONFIG])) as EncoderAdapterConfig;
    const loraA = [...readAdapter(written).tensors.keys()].filter((k) => k.endsWith('.lora_A.weight')).map((k) => k.slice(0, -'.lora_A.weight'.length));
    expect(torch.lora_modules).toEqual(loraA.sort()); // the config's target_modules select exactly the modules we saved
    expect(cfg.target_modules).toEqual(c.targets);
    const dProbs = maxDiff(us.probs, torch.probs);
    const dLogits = maxDiff(us.logits, torch.logits);
    const dTrained = maxDiff(ourModelLogits, torch.logits);
    const loraEffect = maxDiff(torch.probs, torch.probs_without_lora);
    console.log(`ours → PyTorch ${c.model} (rslora ${c.rslora}, ${loraA.length} LoRA modules): max |Δprob| ${dProbs.toExponential(2)}, max |Δlogit| ${dLogits.toExponential(2)} (merged), ${dTrained.toExponential(2)} (unmerged model), max |logit| ${maxAbs(torch.logits).toFixed(2)}; LoRA moves probabilities by up to ${loraEffect.toFixed(3)}`);
    expect(loraEffect, 'the LoRA term must matter for this check to mean anything').toBeGreaterThan(1e-2);
    expect(dProbs).toBeLessThan(TOL);
    expect(dLogits).toBeLessThan(TOL);
    expect(dTrained).toBeLessThan(TOL);
  }, 60_000);

  it.each(CASES)('PyTorch → ours: $model, an adapter PyTorch writes with PEFT keys and config, predicts the same here', (c) => {
    const input = inputs(c.model);
    const dir = path.join(tmpRoot, `theirs-${c.model}`);
    mkdirSync(dir, { recursive: true });
    const rslora = !c.rslora;
    const torch = python('make', c.model, dir, {
      input_ids: input.input_ids,
      attention_mask: input.attention_mask,
      labels: CLASSES,
      r: 4,
      lora_alpha: 8,
      use_rslora: rslora,
      target_modules: c.targets,
      layers_to_transform: c.layers,
      modules_to_save: c.modulesToSave,
      seed: 17,
    }) as TorchOut;
    const us = ours(c.model, dir, input);
    expect(us.labels).toEqual(CLASSES);
    expect(torch.labels).toEqual(CLASSES);
    const adapter = readAdapter(loadFiles(dir));
    expect([...adapter.tensors.keys()].every((k) => !k.startsWith('base_model.'))).toBe(true);
    expect([...adapter.tensors.keys()].filter((k) => !k.includes('.lora_')).every((k) => isHeadParam(c.arch, k))).toBe(true);
    const dProbs = maxDiff(us.probs, torch.probs);
    const dLogits = maxDiff(us.logits, torch.logits);
    const loraEffect = maxDiff(torch.probs, torch.probs_without_lora);
    console.log(`PyTorch → ours ${c.model} (rslora ${rslora}, ${torch.lora_modules.length} LoRA modules): max |Δprob| ${dProbs.toExponential(2)}, max |Δlogit| ${dLogits.toExponential(2)}, max |logit| ${maxAbs(torch.logits).toFixed(2)}; LoRA moves probabilities by up to ${loraEffect.toFixed(3)}`);
    expect(loraEffect, 'the LoRA term must matter for this check to mean anything').toBeGreaterThan(1e-2);
    expect(dProbs).toBeLessThan(TOL);
    expect(dLogits).toBeLessThan(TOL);
  }, 60_000);

  it.each([false, true])('projection head (rslora %s): the written files, applied by PyTorch as documented, give applyProjectionHead’s logits', async (rslora) => {
    const dim = 24;
    const rng = Rng.forKey(3, 'embeddings');
    const raw = Array.from({ length: 7 }, () => rng.fillNormal(new Float32Array(dim), 1));
    const backend = new JsBackend('f32');
    const config = resolveConfig('head', { lora_rank: 4, lora_alpha: 8, use_rslora: rslora, seed: 11 });
    const setup = setupHeadTarget({ backend, config, classes: CLASSES, embeddings: raw, baseModel: 'x', pooling: 'mean' });
    let written: Record<string, Uint8Array>;
    try {
      // Random values for every tensor (B starts at 0), so the LoRA term and the classifier both shape the logits.
      for (const p of setup.trainable.params) {
        const noise = Rng.forKey(13, p.name!).fillNormal(new Float32Array(p.size), 0.5);
        const t = Tensor.fromData(backend, noise, p.shape);
        p.assign(t);
        t.dispose();
      }
      written = writeAdapter(await setup.adapter());
    } finally {
      setup.dispose();
    }
    const dir = path.join(tmpRoot, `head-${rslora}`);
    saveFiles(dir, written);
    const torch = python('head', 'none', dir, { embeddings: raw.map((r) => Array.from(r)) }) as { labels: string[]; logits: number[][] };
    const adapter = readAdapter(loadFiles(dir));
    const cfg = adapter.config as HeadAdapterConfig;
    expect(cfg.adapter_type).toBe('projection_head');
    expect(torch.labels).toEqual(CLASSES);
    const logits = applyProjectionHead(cfg, adapter.tensors, raw);
    const d = maxDiff(logits, torch.logits);
    const dProbs = maxDiff(logits.map((l) => softmax(l)), torch.logits.map((l) => softmax(l)));
    console.log(`projection head (rslora ${rslora}): max |Δlogit| ${d.toExponential(2)}, max |Δprob| ${dProbs.toExponential(2)}`);
    expect(d).toBeLessThan(TOL);
    expect(dProbs).toBeLessThan(TOL);
  });
});

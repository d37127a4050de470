import { describe, expect, it } from 'vitest';
import { JsBackend, Tensor, mul } from '../grad';
import { Rng } from '../grad/rng';
import { resolveConfig } from './config';
import { setupHeadTarget } from './head-target';
import { TrainingFailed, trainLoop, type TrainableModel, type TrainProgress } from './loop';

const backend = new JsBackend();
const classes = ['a', 'b', 'c'];

/** 90 separable-ish points in 16 dimensions, unit length, labelled by their largest of the first three coordinates. */
function synthetic() {
  const rng = new Rng(7);
  const embeddings: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 90; i++) {
    const v = rng.fillNormal(new Float32Array(16), 1);
    v[i % 3] += 5;
    const n = Math.hypot(...v);
    embeddings.push(v.map((x) => x / n));
    labels.push(i % 3);
  }
  return { embeddings, labels };
}

async function train(overrides: Parameters<typeof resolveConfig>[1], shouldStop?: () => boolean, lossReadEvery?: number, onProgress?: (p: TrainProgress) => void) {
  const { embeddings, labels } = synthetic();
  const config = resolveConfig('head', { early_stopping_patience: 0, ...overrides });
  const setup = setupHeadTarget({ backend, config, classes, embeddings, baseModel: 'synthetic', pooling: 'mean' });
  const rows = labels.map((_, i) => i);
  const result = await trainLoop({
    model: setup.trainable,
    config,
    train: { rows: rows.slice(0, 72), labels: labels.slice(0, 72) },
    validation: { rows: rows.slice(72), labels: labels.slice(72) },
    classes,
    shouldStop,
    lossReadEvery,
    onProgress,
  });
  const params = await Promise.all(setup.trainable.params.map((p) => p.read()));
  setup.dispose();
  return { result, params };
}

describe('training loop', () => {
  it('learns a separable problem and reports per-epoch metrics', async () => {
    const { result } = await train({ epochs: 10 });
    expect(result.metrics).toHaveLength(10);
    expect(result.metrics[9].trainLoss).toBeLessThan(result.metrics[0].trainLoss);
    expect(result.metrics[9].valAccuracy).toBeGreaterThan(0.8);
    expect(result.bestEpoch).not.toBeNull();
  });

  it('accumulating two batches of 8 updates exactly as one batch of 16', async () => {
    const settings = { epochs: 2, max_grad_norm: 1e6, lora_dropout: 0 };
    const a = await train({ ...settings, batch_size: 16, gradient_accumulation_steps: 1 });
    const b = await train({ ...settings, batch_size: 8, gradient_accumulation_steps: 2 });
    a.params.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - b.params[i][j])).toBeLessThan(1e-6)));
    // …and differs from taking a step per batch of 8 (the check can fail).
    const c = await train({ ...settings, batch_size: 8, gradient_accumulation_steps: 1 });
    expect(Math.max(...a.params[2].map((v, j) => Math.abs(v - c.params[2][j])))).toBeGreaterThan(1e-4);
  });

  it('reports where its time went: every step and example counted, every phase a finite duration', async () => {
    const { result } = await train({ epochs: 3, batch_size: 16, gradient_accumulation_steps: 2 });
    // 72 rows in micro-batches of 16: 5 per epoch, 3 optimiser steps of up to 2 of them
    expect(result.timings.steps).toBe(9);
    expect(result.timings.examples).toBe(3 * 72);
    for (const [k, v] of Object.entries(result.timings)) expect(Number.isFinite(v) && v >= 0, k).toBe(true);
    expect(result.timings.forwardMs + result.timings.backwardMs).toBeGreaterThan(0);
  });

  it('is deterministic for a seed, and the seed matters', async () => {
    const a = await train({ epochs: 2, seed: 1 });
    const b = await train({ epochs: 2, seed: 1 });
    const c = await train({ epochs: 2, seed: 2 });
    expect(a.params).toEqual(b.params);
    expect(a.params).not.toEqual(c.params);
  });

  it('stops within one step when cancelled and says so', async () => {
    let asked = 0;
    const { result } = await train({ epochs: 5 }, () => ++asked > 2);
    expect(result.stopped).toBe('cancelled');
    expect(asked).toBe(3);
    expect(result.metrics).toHaveLength(0);
  });

  it('fails after 3 consecutive non-finite losses, naming the step', async () => {
    const w = Tensor.fromData(backend, [1, 1, 1], [1, 3], true).keep();
    const poisoned: TrainableModel = {
      params: [w],
      logits: (rows) => mul(Tensor.fromData(backend, new Float32Array(rows.length * 3).fill(NaN), [rows.length, 3]), w),
    };
    const config = resolveConfig('head', { epochs: 3 });
    await expect(
      trainLoop({ model: poisoned, config, train: { rows: [0, 1, 2, 3], labels: [0, 1, 2, 0] }, validation: { rows: [], labels: [] }, classes }),
    ).rejects.toThrow(TrainingFailed);
    await expect(
      trainLoop({ model: poisoned, config: { ...config, batch_size: 1 }, train: { rows: [0, 1, 2, 3], labels: [0, 1, 2, 0] }, validation: { rows: [], labels: [] }, classes }),
    ).rejects.toThrow('for 3 consecutive steps (step 3)');
  });

  it('reading the loss every 4 steps (as on WebGPU) trains byte-identically and reports every step, late', async () => {
    const seen: { every: number; step: number; loss: number }[] = [];
    const eager = await train({ epochs: 2, batch_size: 8 }, undefined, 1, (p) => seen.push({ every: 1, step: p.step, loss: p.loss }));
    const lazy = await train({ epochs: 2, batch_size: 8 }, undefined, 4, (p) => seen.push({ every: 4, step: p.step, loss: p.loss }));
    expect(lazy.params).toEqual(eager.params);
    expect(lazy.result.metrics).toEqual(eager.result.metrics);
    const strip = (e: number) => seen.filter((s) => s.every === e).map(({ step, loss }) => ({ step, loss }));
    expect(strip(4)).toEqual(strip(1));
    expect(strip(1).map((s) => s.step)).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    // A cancel still drains the steps taken: every step before it is reported.
    let asked = 0;
    const cancelled: number[] = [];
    const { result } = await train({ epochs: 5, batch_size: 8 }, () => ++asked > 6, 4, (p) => cancelled.push(p.step));
    expect(result.stopped).toBe('cancelled');
    expect(cancelled).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('with deferred loss reads, 3 consecutive non-finite losses still fail the run (up to one interval late)', async () => {
    const w = Tensor.fromData(backend, [1, 1, 1], [1, 3], true).keep();
    const poisoned: TrainableModel = {
      params: [w],
      logits: (rows) => mul(Tensor.fromData(backend, new Float32Array(rows.length * 3).fill(NaN), [rows.length, 3]), w),
    };
    const config = resolveConfig('head', { epochs: 3, batch_size: 1 });
    const progress: number[] = [];
    const live = backend.liveBuffers();
    await expect(
      trainLoop({ model: poisoned, config, train: { rows: [0, 1, 2, 3], labels: [0, 1, 2, 0] }, validation: { rows: [], labels: [] }, classes, lossReadEvery: 8, onProgress: (p) => progress.push(p.step) }),
    ).rejects.toThrow('for 3 consecutive steps (step 3)');
    expect(progress).toEqual([1, 2]);
    expect(backend.liveBuffers()).toBe(live); // the pending loss tensors were disposed
  });

  it('a failure mid-run (a lost GPU) hands back the best checkpoint so far, not nothing', async () => {
    const { embeddings, labels } = synthetic();
    const config = resolveConfig('head', { epochs: 3, early_stopping_patience: 0 });
    const setup = setupHeadTarget({ backend, config, classes, embeddings, baseModel: 'synthetic', pooling: 'mean' });
    let calls = 0;
    const flaky: TrainableModel = {
      params: setup.trainable.params,
      logits(rows, train) {
        if (train && ++calls === 8) throw new Error('The GPU device was lost: destroyed');
        return setup.trainable.logits(rows, train);
      },
    };
    const rows = labels.map((_, i) => i);
    const failure = await trainLoop({
      model: flaky,
      config,
      train: { rows: rows.slice(0, 72), labels: labels.slice(0, 72) },
      validation: { rows: rows.slice(72), labels: labels.slice(72) },
      classes,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(failure).toBeInstanceOf(TrainingFailed);
    const failed = failure as TrainingFailed;
    expect(failed.message).toContain('The GPU device was lost');
    expect(failed.best?.epoch).toBe(1); // 72 rows / 16 = 5 steps an epoch: the 8th step is in epoch 2
    expect(failed.best?.metrics).toHaveLength(1);
    const adapter = await setup.adapter(failed.best!.params);
    expect([...adapter.tensors.values()].map((t) => t.data)).toEqual(failed.best!.params);
    setup.dispose();
  });
});

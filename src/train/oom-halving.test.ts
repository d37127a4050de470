import { describe, expect, it } from 'vitest';
import { JsBackend } from '../grad';
import { GpuOutOfMemoryError } from '../grad/errors';
import { Rng } from '../grad/rng';
import { resolveConfig } from './config';
import { setupHeadTarget } from './head-target';
import { trainLoop, type TrainableModel } from './loop';

/**
 * Fault injection: a model whose forward throws GpuOutOfMemoryError above `maxRows` rows (as our WebGPU backend
 * does past its memory budget). Training must halve the micro-batch and double the accumulation — the same
 * examples per step, so the same parameters as a run that never ran out — and say so.
 */
const classes = ['a', 'b', 'c'];

function data() {
  const rng = new Rng(11);
  const embeddings: Float32Array[] = [];
  const labels: number[] = [];
  for (let i = 0; i < 60; i++) {
    const v = rng.fillNormal(new Float32Array(8), 1);
    v[i % 3] += 4;
    const n = Math.hypot(...v);
    embeddings.push(v.map((x) => x / n));
    labels.push(i % 3);
  }
  return { embeddings, labels };
}

async function run(maxRows: number, validationMax = Infinity) {
  const { embeddings, labels } = data();
  const config = resolveConfig('head', { epochs: 2, batch_size: 16, gradient_accumulation_steps: 1, early_stopping_patience: 0, max_grad_norm: 1e6 });
  const setup = setupHeadTarget({ backend: new JsBackend(), config, classes, embeddings, baseModel: 'x', pooling: 'mean' });
  let faults = 0;
  const model: TrainableModel = {
    params: setup.trainable.params,
    logits(rows, train) {
      if (rows.length > (train ? maxRows : validationMax)) {
        faults++;
        throw new GpuOutOfMemoryError(`injected: ${rows.length} rows`);
      }
      return setup.trainable.logits(rows, train);
    },
  };
  const rows = labels.map((_, i) => i);
  const result = await trainLoop({ model, config, train: { rows: rows.slice(0, 48), labels: labels.slice(0, 48) }, validation: { rows: rows.slice(48), labels: labels.slice(48) }, classes });
  const params = await Promise.all(setup.trainable.params.map((p) => p.read()));
  setup.dispose();
  return { result, params, faults };
}

describe('training on gpu_oom', () => {
  it('halves the micro-batch and doubles accumulation: same parameters, reported', async () => {
    const free = await run(Infinity);
    const capped = await run(5, 7);
    expect(free.result.memory).toEqual({ microBatchSize: 16, gradientAccumulationSteps: 1, halvings: [] });
    expect(capped.result.memory.microBatchSize).toBe(4);
    expect(capped.result.memory.gradientAccumulationSteps).toBe(4);
    expect(capped.result.memory.halvings).toEqual([
      { step: 1, microBatchSize: 8, gradientAccumulationSteps: 2 },
      { step: 1, microBatchSize: 4, gradientAccumulationSteps: 4 },
    ]);
    expect(capped.faults).toBeGreaterThan(2);
    free.params.forEach((p, i) => p.forEach((v, j) => expect(Math.abs(v - capped.params[i][j])).toBeLessThan(1e-5)));
    expect(capped.result.metrics.map((m) => m.valLoss)).toEqual(free.result.metrics.map((m) => m.valLoss).map((v) => expect.closeTo(v!, 5)));
  });

  it('fails clearly when even one example does not fit', async () => {
    await expect(run(0)).rejects.toThrow(/Out of GPU memory with a micro-batch of one example \(step 1\)/);
  });
});

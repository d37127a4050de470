import { expect, test } from '@playwright/test';
import { openApp } from './helpers';
import { checkAgainstReference, inferInPage, reference, textsCsv } from './infer-helpers';

const MODEL = 'bert-tiny-sentiment';

/**
 * Our engine on WebGPU (SwiftShader, tiny model) under a memory budget between what the weights take and what a
 * full batch takes: the batch is halved on gpu_oom and retried, the metadata says so, and every row still matches
 * PyTorch's reference.
 */
test('native engine on WebGPU: gpu_oom halves the batch and retries; results unchanged', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.evaluate(([csv]) => window.jammi!.addSource('ref', csv), [textsCsv(reference(MODEL).texts)]);
  const options = { source: 'ref', model: MODEL, columns: ['text'], key: 'id', backend: 'webgpu', engine: 'native', batchSize: 16 };
  const free = await inferInPage(page, options);
  checkAgainstReference(free, MODEL, 'ref', 1e-4);
  expect(free.metadata['jammi.oom_halvings']).toBe('0');
  const bytes = JSON.parse(free.metadata['jammi.gpu_bytes']) as { base: number; peak: number };
  expect(bytes.peak).toBeGreaterThan(bytes.base);
  const budget = Math.floor(bytes.base + 0.6 * (bytes.peak - bytes.base));
  const capped = await inferInPage(page, { ...options, memoryBudgetBytes: budget });
  console.log(`native OOM: weights ${bytes.base} B, full-batch peak ${bytes.peak} B, budget ${budget} B → ${capped.metadata['jammi.oom_halvings']} halvings, peak ${JSON.parse(capped.metadata['jammi.gpu_bytes']).peak} B`);
  expect(Number(capped.metadata['jammi.oom_halvings'])).toBeGreaterThan(0);
  expect(JSON.parse(capped.metadata['jammi.gpu_bytes']).peak).toBeLessThanOrEqual(budget);
  checkAgainstReference(capped, MODEL, 'ref', 1e-4);
  expect(capped.columns.label).toEqual(free.columns.label);
});

import { expect, test } from '@playwright/test';
import { openApp } from './helpers';
import { checkAgainstReference, inferInPage, reference, textsCsv } from './infer-helpers';

const MODEL = 'bert-tiny-sentiment';

/**
 * Device loss on our engine (WebGPU on SwiftShader, tiny model): `device.destroy()` in the middle of a run (after
 * its first batch) fails that call with a clear error and drops every model on the device; the next call runs on a
 * fresh device, says so in its metadata, and matches PyTorch's reference.
 */
test('inference: a GPU device lost mid-run fails that call clearly; the next call works on a fresh device', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await page.evaluate(([csv]) => window.jammi!.addSource('ref', csv), [textsCsv(reference(MODEL).texts)]);
  const options = { source: 'ref', model: MODEL, columns: ['text'], key: 'id', backend: 'webgpu', engine: 'native', batchSize: 2 };
  const mid = await page.evaluate(async (o) => {
    const jammi = window.jammi!;
    let destroyed: Promise<number> | null = null;
    try {
      await jammi.infer({
        ...(o as object),
        onProgress: (p: { rows: number }) => {
          // After the first real batch: destroy the device the model runs on.
          if (p.rows >= 3 && !destroyed) destroyed = jammi.simulateGpuDeviceLoss();
        },
      } as never);
      return { error: null, destroyed: destroyed ? await destroyed : -1 };
    } catch (e) {
      return { error: `${(e as Error).name}: ${(e as Error).message}`, destroyed: destroyed ? await destroyed : -1 };
    }
  }, options);
  expect(mid.destroyed).toBe(1);
  expect(mid.error).toMatch(/^JammiError: The GPU device was lost while classifying \(.*destroyed.*\)\. Every model on it was dropped; run again/);
  const next = await inferInPage(page, options);
  expect(next.metadata['jammi.device_recreated']).toMatch(/destroyed/);
  checkAgainstReference(next, MODEL, 'ref', 1e-4);
  const again = await inferInPage(page, options);
  expect(again.metadata['jammi.device_recreated']).toBeUndefined();
});

import { expect, test } from '@playwright/test';
import { openApp, smsRows } from './helpers';
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

/**
 * Training on our engine (encoder target, WebGPU on SwiftShader, tiny): the device is destroyed at the start of
 * epoch 2 (after the epoch-1 checkpoint); the job resumes from that checkpoint on a fresh device and completes,
 * and says so. Destroyed again after resuming, it fails, keeping its best checkpoint as a usable model.
 */
test('training: one device loss resumes from the last checkpoint on a fresh device; a second fails keeping the best', async ({ page }) => {
  test.setTimeout(600_000);
  await openApp(page);
  const out = await page.evaluate(async (csv) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const start = (losses: number[]) =>
      jammi
        .fineTune({ source: 'sms', baseModel: 'bert-tiny-sentiment', columns: { text: 'text', label: 'label' }, backend: 'webgpu', config: { epochs: 3, batch_size: 8, max_seq_length: 16, early_stopping_patience: 0 } })
        .then((job) => {
          const done = new Set<number>();
          job.onProgress((p) => {
            // At the first step of each listed epoch: destroy the device the job trains on.
            if (losses.includes(p.epoch) && !done.has(p.epoch)) {
              done.add(p.epoch);
              void job.simulateDeviceLoss();
            }
          });
          return job;
        });
    const once = await start([2]);
    const report = await once.wait();
    const twice = await start([2, 3]);
    const failure = await twice.wait().then(
      () => null,
      (e) => (e as Error).message,
    );
    const kept = (await jammi.listFineTuned()).some((m) => m.modelId === twice.modelId);
    const labels = [...(await jammi.infer({ source: 'sms', model: twice.modelId, columns: ['text'], backend: 'wasm' })).getChild('label')!];
    return { status: once.status, resumed: report.resumed, epochs: report.epochs.map((e) => e.epoch), warnings: report.warnings, twiceStatus: twice.status, failure, kept, labels };
  }, smsRows(48));
  expect(out.status).toBe('completed');
  expect(out.resumed).toMatchObject({ afterEpoch: 1, backend: 'webgpu' });
  expect(out.resumed!.reason).toMatch(/destroyed/);
  expect(out.epochs).toEqual([1, 2, 3]);
  expect(out.warnings.join('\n')).toMatch(/training resumed from the checkpoint after epoch 1 on a fresh WebGPU device/);
  expect(out.twiceStatus).toBe('failed');
  expect(out.failure).toMatch(/lost again after resuming.*best checkpoint \(epoch [12]\) was kept/);
  expect(out.kept).toBe(true);
  expect(out.labels.every((l) => l === 'ham' || l === 'spam')).toBe(true);
});

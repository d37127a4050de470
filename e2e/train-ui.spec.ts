import { expect, test } from '@playwright/test';
import { unzipSync } from 'fflate';
import { openApp, readDownload } from './helpers';

test('Train panel: fine-tune a projection head, watch it, download the adapter, load it back', async ({ page }) => {
  test.setTimeout(300_000);
  await openApp(page);
  const rows = Array.from({ length: 120 }, (_, i) =>
    i % 3 === 0 ? `${i},"WINNER!! Claim your free prize now, call 0800 ${i}",spam` : `${i},"see you at lunch tomorrow ${i}?",ham`,
  );
  await page.evaluate((csv) => window.jammi!.addSource('chat', csv), ['id,text,label', ...rows].join('\n'));
  await page.getByRole('button', { name: 'chat', exact: true }).click();
  await page.getByRole('tab', { name: 'Train' }).click();

  const panel = page.getByRole('region', { name: 'Fine-tune (LoRA)' });
  await expect(panel.getByLabel('Training text column')).toHaveValue('text');
  await expect(panel.getByLabel('Training label column')).toHaveValue('label');
  await panel.getByLabel('Head: projection head on frozen embeddings (fast)').check();
  await panel.getByLabel('Served model').selectOption('bert-tiny-embed');
  await panel.getByText('Advanced', { exact: true }).click();
  await panel.getByLabel('Training backend').selectOption('wasm');
  await expect(panel.getByLabel('Epochs')).toHaveValue('30'); // the head target's defaults are filled in
  await panel.getByLabel('Epochs').fill('6');
  await panel.getByRole('button', { name: 'Start training' }).click();

  await expect(panel.getByTestId('train-status')).toContainText('completed', { timeout: 240_000 });
  await expect(panel.getByRole('img', { name: /Loss curve over \d+ of \d+ steps/ })).toBeVisible();
  await expect(panel.getByRole('table', { name: /Per epoch/ })).toBeVisible();
  await expect(panel.getByRole('table', { name: 'Validation confusion matrix (kept checkpoint)' })).toBeVisible();

  const list = panel.getByRole('region', { name: 'Fine-tuned models' });
  await expect(list.getByRole('listitem')).toHaveCount(1);
  const [download] = await Promise.all([page.waitForEvent('download'), list.getByRole('button', { name: 'Download adapter' }).click()]);
  const zip = unzipSync(new Uint8Array(await readDownload(download)));
  expect(Object.keys(zip).sort()).toEqual(['adapter_config.json', 'adapter_model.safetensors']);
  expect(JSON.parse(new TextDecoder().decode(zip['adapter_config.json']))).toMatchObject({ adapter_type: 'projection_head', id2label: { 0: 'ham', 1: 'spam' } });

  await list.getByTestId('adapter-input').setInputFiles({ name: 'adapter.zip', mimeType: 'application/zip', buffer: await readDownload(download) });
  await expect(list.getByRole('status')).toContainText('Loaded as jammi:fine-tuned:');
  await expect(list.getByRole('listitem')).toHaveCount(2);

  // Classify with the trained model from the Classify panel: its labels are the training labels.
  await page.getByRole('tab', { name: 'Classify' }).click();
  const classify = page.getByRole('region', { name: 'Classify text' });
  await classify.getByText('Advanced', { exact: true }).click();
  await classify.getByLabel('Fine-tuned', { exact: true }).check();
  await expect(classify.getByLabel('Fine-tuned model')).toHaveValue(/jammi:fine-tuned:/);
  await classify.getByLabel('Backend').selectOption('wasm');
  await classify.getByRole('button', { name: 'Run' }).click();
  await expect(classify.getByRole('figure', { name: 'Label counts' })).toBeVisible({ timeout: 120_000 });
  const counts = classify.locator('[data-testid^="label-count-"]');
  const ids = await counts.evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
  expect(ids.every((t) => t === 'label-count-ham' || t === 'label-count-spam')).toBe(true);
  expect((await counts.allTextContents()).reduce((a, t) => a + Number(t.replace(/,/g, '')), 0)).toBe(120);

  // Rows it was not trained on (a held-out split: other ids, other numbers): the trained model must beat always
  // answering the majority class (a constant model cannot pass).
  const heldOut = Array.from({ length: 60 }, (_, j) => {
    const i = 1000 + j;
    return i % 3 === 0 ? `${i},"WINNER!! Claim your free prize now, call 0800 ${i}",spam` : `${i},"see you at lunch tomorrow ${i}?",ham`;
  });
  const majority = Math.max(...['spam', 'ham'].map((l) => heldOut.filter((r) => r.endsWith(`,${l}`)).length)) / heldOut.length;
  const heldOutEval = await page.evaluate(
    async (csv) => {
      const jammi = window.jammi!;
      await jammi.addSource('held-out', csv);
      const trained = (await jammi.listFineTuned()).filter((m) => m.report !== null);
      const model = trained[0].modelId; // the trained one (the one loaded back from the zip has no report)
      const results = await jammi.infer({ source: 'held-out', model, columns: ['text'], key: 'id', backend: 'wasm' });
      const e = await jammi.evaluate({ results, gold: 'held-out', labelColumn: 'label', key: 'id' });
      return { accuracy: e.accuracy, errors: e.errors, unmatched: e.unmatched, trained: trained.length };
    },
    ['id,text,label', ...heldOut].join('\n'),
  );
  expect(heldOutEval.trained).toBe(1);
  expect(heldOutEval.errors + heldOutEval.unmatched).toBe(0);
  expect(majority).toBeCloseTo(2 / 3, 2);
  expect(heldOutEval.accuracy).toBeGreaterThan(majority);

  // A bad setting is refused with the field's name, before any work.
  await page.getByRole('tab', { name: 'Train' }).click();
  await panel.getByLabel('LoRA rank').fill('0');
  await panel.getByRole('button', { name: 'Start training' }).click();
  await expect(panel.getByRole('alert')).toContainText('config.lora_rank must be an integer from 1 to 256');
});

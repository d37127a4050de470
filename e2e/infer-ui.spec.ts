import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { parse } from 'csv-parse/sync';
import { datasetPath, openApp, readDownload, sharedDir } from './helpers';
import { expectedSchema } from './infer-helpers';

test('classify panel: run with progress, cancel, label chart, filter, export, gold-label metrics', async ({ page }) => {
  test.setTimeout(240_000);
  // The first 60 rows of SST-2's dev set, as a file the user picks.
  const records = parse(fs.readFileSync(datasetPath('sst2-validation.csv'), 'utf8')) as string[][];
  const header = records[0];
  const small = [header, ...records.slice(1, 61)];
  const csv = small.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(',')).join('\r\n') + '\r\n';
  expect(small.length).toBe(61);

  await openApp(page);
  await page.getByTestId('file-input').setInputFiles({ name: 'sst2-small.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('source-stats-sst2-small')).toContainText('60 rows');
  await page.getByRole('tab', { name: 'Classify' }).click();
  const panel = page.getByRole('region', { name: 'Classify text' });
  await expect(panel).toBeVisible();
  await panel.getByText('Advanced', { exact: true }).click();
  await expect(panel.getByRole('checkbox', { name: 'text' })).toBeChecked();
  await expect(panel.getByLabel('Key column')).toHaveValue('id');
  await expect(panel.getByLabel('Served model').locator('option', { hasText: 'bert-tiny-sentiment' })).toHaveCount(1);
  await panel.getByLabel('Served model').selectOption('bert-tiny-sentiment');
  await panel.getByLabel('Backend').selectOption('wasm');

  // Cancel while the model loads: the run stops and says so.
  await panel.getByRole('button', { name: 'Run' }).click();
  await panel.getByRole('button', { name: 'Cancel' }).click();
  await expect(panel.getByText('Cancelled.')).toBeVisible();

  await panel.getByLabel('Batch size').fill('8');
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel.getByTestId('results-summary')).toContainText('60 rows · 60 ok · 0 errors · model bert-tiny-sentiment on wasm (fp32)');

  // The chart shows what the API returns for the same call.
  const api = await page.evaluate(async () => {
    const results = await window.jammi!.infer({ source: 'sst2-small', model: 'bert-tiny-sentiment', columns: ['text'], key: 'id', backend: 'wasm' });
    const evaluation = await window.jammi!.evaluate({ results, gold: 'sst2-small', labelColumn: 'label', key: 'id' });
    return { labels: [...results.getChild('label')!] as string[], evaluation };
  });
  const counts = new Map<string, number>();
  for (const l of api.labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  for (const [label, n] of counts) await expect(panel.getByTestId(`label-count-${label}`)).toHaveText(String(n));

  // Filter by a label (the bar is a button), export what is shown as CSV.
  const [top, topCount] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
  await panel.getByRole('button', { name: new RegExp(`^${top}: ${topCount} rows`) }).click();
  await expect(panel.getByTestId('filtered-count')).toHaveText(`${topCount} rows shown`);
  const [download] = await Promise.all([page.waitForEvent('download'), panel.getByRole('button', { name: 'Export results CSV' }).click()]);
  const exported = parse(await readDownload(download)) as string[][];
  expect(exported[0]).toEqual(expectedSchema.map((f) => f.name));
  expect(exported.length - 1).toBe(topCount);
  expect(new Set(exported.slice(1).map((r) => r[6]))).toEqual(new Set([top]));
  expect(exported.slice(1).map((r) => r[0])).toEqual(api.labels.flatMap((l, i) => (l === top ? [records[i + 1][0]] : [])));

  // Gold labels: accuracy and macro-F1 as evaluate() computes them, and a confusion matrix.
  await panel.getByLabel('Gold label column').selectOption('label');
  await expect(panel.getByTestId('eval-accuracy')).toHaveText(`${(100 * api.evaluation.accuracy).toFixed(1)}%`);
  await expect(panel.getByTestId('eval-macro-f1')).toHaveText(api.evaluation.macroF1.toFixed(3));
  await expect(panel.getByRole('table', { name: /Confusion matrix/ })).toBeVisible();
});

test('classify panel: a model folder picked from disk runs like the served model', async ({ page }) => {
  const texts = ['a gorgeous, witty, seductive movie.', 'the plot is paper-thin and the acting wooden.', ''];
  const csv = ['id,text', ...texts.map((t, i) => `${i},"${t}"`)].join('\n') + '\n';
  await openApp(page);
  await page.getByTestId('file-input').setInputFiles({ name: 'few.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('source-stats-few')).toContainText('3 rows');
  await page.getByRole('tab', { name: 'Classify' }).click();
  const panel = page.getByRole('region', { name: 'Classify text' });
  await panel.getByText('Advanced', { exact: true }).click();
  await panel.getByRole('radio', { name: 'Local folder' }).check();
  await panel.getByLabel('Model folder').setInputFiles(path.join(sharedDir, 'models', 'distilbert-tiny-emotion'));
  await expect(panel.getByText(/^distilbert-tiny-emotion: \d+ files/)).toBeVisible();
  await panel.getByLabel('Backend').selectOption('wasm');
  await panel.getByRole('button', { name: 'Run' }).click();
  await expect(panel.getByTestId('results-summary')).toContainText('3 rows · 2 ok · 1 errors · model distilbert-tiny-emotion on wasm (fp32)');
  const api = await page.evaluate(async () => {
    const t = await window.jammi!.infer({ source: 'few', model: 'distilbert-tiny-emotion', columns: ['text'], key: 'id', backend: 'wasm' });
    return [...t.getChild('label')!].filter((l): l is string => l !== null);
  });
  for (const label of new Set(api)) {
    await expect(panel.getByTestId(`label-count-${label}`)).toHaveText(String(api.filter((l) => l === label).length));
  }
});

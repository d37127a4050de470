import { expect, test } from '@playwright/test';
import { parse } from 'csv-parse/sync';
import { readDownload } from './helpers';
import { currentRow, labelPanel, openAt, press, settledModel, storedLabels } from './workbench-helpers';

const SAMPLE = 'uci-sentiment-sample';

test('a newcomer: Load sample data, label with suggestions, classify with the suggester, export — keyboard only, nothing downloaded', async ({ page }) => {
  test.setTimeout(180_000);
  const external: string[] = [];
  page.on('request', (r) => !r.url().startsWith('http://127.0.0.1') && !r.url().startsWith('data:') && !r.url().startsWith('blob:') && external.push(r.url()));
  await openAt(page, '');
  await page.getByRole('button', { name: 'Load sample data' }).focus();
  await page.keyboard.press('Enter');
  await expect(page.getByRole('tab', { name: 'Label' })).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(new RegExp(`#label\\?source=${SAMPLE}&label=label&text=text$`));
  await expect(labelPanel(page).getByTestId('class-count-negative')).toHaveText('0');
  await expect(labelPanel(page).getByTestId('unlabelled')).toHaveText('300');
  const gold = await page.evaluate(async (s) => [...(await window.jammi!.getSource(s)).getChild('gold')!] as string[], SAMPLE);

  // The focused view has the focus: label 60 rows with the keys of their true classes (1 negative, 2 positive).
  const given = new Map<number, string>();
  for (let i = 0; i < 60; i++) {
    const key = gold[await currentRow(page)] === 'positive' ? '2' : '1';
    const ack = await press(page, key);
    given.set(ack.row, ack.label);
  }
  expect(given.size).toBe(60);
  await settledModel(page);
  await expect(labelPanel(page).getByTestId('suggestion')).toContainText(/Suggested: (negative|positive) \d+%/);

  // Step tabs from the keyboard: ← / → move along the steps, Alt+<key> jumps to one.
  await page.getByRole('tab', { name: 'Label' }).focus();
  await page.keyboard.press('ArrowRight');
  await expect(page.getByRole('tab', { name: 'Train' })).toHaveAttribute('aria-selected', 'true');
  await expect(page).toHaveURL(/#train\?/);
  await expect(page.getByRole('region', { name: 'Suggester' })).toContainText(/Model v\d+ · trained on \d+ labels/);
  await page.keyboard.press('Alt+c');
  await expect(page.getByRole('tab', { name: 'Classify' })).toHaveAttribute('aria-selected', 'true');

  // Classify every row with the suggester (no download), scored against the sample's gold labels.
  const panel = page.getByRole('region', { name: 'Classify text' });
  await panel.getByRole('radio', { name: 'Suggester (no download)' }).focus();
  await page.keyboard.press('Space');
  await panel.getByRole('button', { name: 'Run' }).focus();
  await page.keyboard.press('Enter');
  await expect(panel.getByTestId('results-summary')).toContainText(`300 rows · 300 ok · 0 errors · model jammi:suggester:${SAMPLE}/label`);
  const evaluation = await page.evaluate(async (s) => {
    const results = await window.jammi!.infer({ source: s, model: `jammi:suggester:${s}/label`, columns: ['text'] });
    return window.jammi!.evaluate({ results, gold: s, labelColumn: 'gold' });
  }, SAMPLE);
  expect(evaluation.accuracy).toBeGreaterThan(0.55); // the sample is balanced: 0.5 is the majority class
  await panel.getByLabel('Gold label column').selectOption('gold');
  await expect(panel.getByTestId('eval-accuracy')).toHaveText(`${(100 * evaluation.accuracy).toFixed(1)}%`);

  // Export the source with its labels.
  await page.keyboard.press('Alt+e');
  await expect(page.getByRole('tab', { name: 'Export' })).toHaveAttribute('aria-selected', 'true');
  await page.getByRole('button', { name: 'Export CSV' }).focus();
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  const rows = parse(await readDownload(download)) as string[][];
  expect(rows[0]).toEqual(['id', 'text', 'site', 'gold', 'label']);
  expect(rows.length).toBe(301);
  const exported = rows.slice(1).map((r) => (r[4] === '' ? null : r[4]));
  expect(exported).toEqual(await storedLabels(page, SAMPLE, 'label'));
  expect(exported.filter((l) => l !== null)).toHaveLength(60);
  for (const [row, label] of given) expect(exported[row]).toBe(label);
  expect(external).toEqual([]);
});

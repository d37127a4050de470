import { expect, test } from '@playwright/test';
import { addClasses, currentRow, loadCsv, openAt, press, smsSample, storedLabels, labelPanel } from './workbench-helpers';

const sms = smsSample(1000);

test('bulk: label every row matching a regex as one class, and one undo reverts the whole action', async ({ page }) => {
  test.setTimeout(180_000);
  await openAt(page, '#label?source=sms&label=label&text=text&view=bulk');
  await loadCsv(page, 'sms', sms.csv, 1000);
  await addClasses(page, ['ham', 'spam']);
  // Two rows labelled by hand first: the bulk action leaves labelled rows alone unless asked, and undo restores them.
  await page.evaluate(() => window.jammi!.setLabels('sms', 'label', { 0: 'ham', 1: 'ham' }));
  const before = await storedLabels(page, 'sms', 'label');

  const pattern = '\\b(free|prize|claim|won)\\b';
  const re = new RegExp(pattern, 'i');
  const matching = sms.texts.flatMap((t, r) => (re.test(t) && before[r] === null ? [r] : []));
  expect(matching.length).toBeGreaterThan(20);

  const bulk = page.getByRole('region', { name: 'Label in bulk' });
  await bulk.getByLabel('Bulk filter').focus();
  await page.keyboard.type(pattern);
  await page.keyboard.press('Tab'); // to the regex box
  await page.keyboard.press('Space');
  await expect(bulk.getByTestId('bulk-count')).toHaveText(`${matching.length} rows match`);
  await bulk.getByLabel('Bulk label').focus();
  await page.keyboard.press('ArrowDown'); // (pick a class) → ham
  await page.keyboard.press('ArrowDown'); // → spam
  await expect(bulk.getByLabel('Bulk label')).toHaveValue('spam');
  const go = bulk.getByRole('button', { name: `Label these ${matching.length} rows as spam` });
  await go.focus();
  await page.keyboard.press('Enter');
  await expect(bulk.getByRole('status')).toContainText(`Labelled ${matching.length} rows as “spam”.`);
  const after = before.map((l, r) => (matching.includes(r) ? 'spam' : l));
  await expect.poll(() => storedLabels(page, 'sms', 'label')).toEqual(after);
  await expect(labelPanel(page).getByTestId('class-count-spam')).toHaveText(String(matching.length));
  await expect(labelPanel(page).getByTestId('session-labelled')).toHaveText(String(matching.length));

  // One undo step (Ctrl+Z from the focused view, where the session's history is shared) reverts all of it.
  await page.getByRole('button', { name: 'One at a time' }).focus();
  await page.keyboard.press('Enter');
  await page.getByRole('group', { name: 'Focused labelling' }).focus();
  expect((await press(page, 'Control+z')).kind).toBe('undo');
  await expect.poll(() => storedLabels(page, 'sms', 'label')).toEqual(before);
  await expect(labelPanel(page).getByTestId('class-count-spam')).toHaveText('0');
  await expect(labelPanel(page).getByTestId('session-labelled')).toHaveText('0');
});

test('two tabs labelling at once lose nothing', async ({ context }) => {
  test.setTimeout(240_000);
  const [a, b] = [await context.newPage(), await context.newPage()];
  await openAt(a, '#label?source=sms&label=label&text=text');
  await loadCsv(a, 'sms', sms.csv, 1000);
  await addClasses(a, ['ham', 'spam']);
  await openAt(b, '#label?source=sms&label=label&text=text');
  await expect.poll(() => b.evaluate(async () => (await window.jammi!.listSources()).map((s) => s.name))).toEqual(['sms']);
  // Each tab labels its own rows (A: texts starting with A–M, B: the others), keys interleaved tab by tab.
  for (const [page, pattern] of [
    [a, '^[a-m]'],
    [b, '^[^a-m]'],
  ] as const) {
    await page.getByLabel('Filter the queue').focus();
    await page.keyboard.type(pattern);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Space'); // regex
    await page.getByLabel('Filter the queue').focus();
    await page.keyboard.press('Enter'); // apply; focus returns to the view
    await expect(page.getByRole('group', { name: 'Focused labelling' })).toBeFocused();
  }
  const given = new Map<number, string>();
  for (let i = 0; i < 15; i++) {
    for (const page of [a, b]) {
      await page.bringToFront();
      await page.getByRole('group', { name: 'Focused labelling' }).focus();
      const row = await currentRow(page);
      const ack = await press(page, sms.gold[row] === 'spam' ? '2' : '1');
      expect(given.has(ack.row), `row ${ack.row} was offered to both tabs`).toBe(false);
      given.set(ack.row, ack.label);
    }
  }
  expect(given.size).toBe(30);
  const want = sms.texts.map((_, r) => given.get(r) ?? null);
  // Both tabs converge on all 30 labels, and a fresh tab (a reload) reads all 30 from storage.
  await expect.poll(() => storedLabels(a, 'sms', 'label'), { timeout: 30_000 }).toEqual(want);
  await expect.poll(() => storedLabels(b, 'sms', 'label'), { timeout: 30_000 }).toEqual(want);
  const c = await context.newPage();
  await openAt(c, '#label?source=sms&label=label&text=text');
  await expect.poll(() => storedLabels(c, 'sms', 'label'), { timeout: 30_000 }).toEqual(want);
  await a.reload();
  await expect.poll(() => a.evaluate(() => Boolean(window.jammi))).toBe(true);
  expect(await storedLabels(a, 'sms', 'label')).toEqual(want);
});

test('bulk: "similar to this row" from the focused view labels the nearest unlabelled rows, best first; one undo reverts', async ({ page }) => {
  test.setTimeout(180_000);
  await openAt(page, '#label?source=sms&label=label&text=text');
  await loadCsv(page, 'sms', sms.csv, 1000);
  await addClasses(page, ['ham', 'spam']);
  const seed = await currentRow(page);
  await labelPanel(page).getByRole('button', { name: 'label similar rows…' }).focus();
  await page.keyboard.press('Enter');
  await expect(page).toHaveURL(/view=bulk/);
  const bulk = page.getByRole('region', { name: 'Label in bulk' });
  await expect(bulk.getByLabel('Similar to row')).toHaveValue(String(seed + 1));
  await bulk.getByLabel('How many similar rows').fill('12');
  const near = await page.evaluate((row) => window.jammi!.similarRows({ source: 'sms', textColumn: 'text', row, limit: 12 }), seed);
  expect(near).toHaveLength(12);
  expect(near.map((n) => n.row)).not.toContain(seed);
  for (let i = 1; i < near.length; i++) expect(near[i - 1].similarity).toBeGreaterThanOrEqual(near[i].similarity);
  await expect(bulk.getByTestId('bulk-count')).toHaveText('12 rows match');
  const shown = await bulk.getByRole('list', { name: 'Matching rows' }).locator('li .row-number').allTextContents();
  expect(shown.map((t) => Number(t) - 1)).toEqual(near.map((n) => n.row));

  await bulk.getByLabel('Bulk label').selectOption('ham');
  await bulk.getByRole('button', { name: 'Label these 12 rows as ham' }).focus();
  await page.keyboard.press('Enter');
  const want = sms.texts.map((_, r) => (near.some((n) => n.row === r) ? 'ham' : null));
  await expect.poll(() => storedLabels(page, 'sms', 'label')).toEqual(want);
  await bulk.getByRole('status').getByRole('button', { name: 'Undo' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(() => storedLabels(page, 'sms', 'label')).toEqual(sms.texts.map(() => null));
});

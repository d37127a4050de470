import { expect, test } from '@playwright/test';
import { openApp } from './helpers';

test('label rows with the keyboard and by drag and drop, undo, and keep the labels after a reload', async ({ page }) => {
  await openApp(page);
  await page.evaluate(() => window.jammi!.addSource('msgs', 'id,text\n0,win a prize\n1,see you soon\n2,free money now\n3,lunch?\n'));
  await page.getByRole('button', { name: 'msgs', exact: true }).click();
  await page.getByRole('tab', { name: 'Label' }).click();
  await page.getByRole('button', { name: 'Table', exact: true }).click();
  const bar = page.getByRole('region', { name: 'Label rows' });
  page.once('dialog', (d) => void d.accept('label'));
  await bar.getByLabel('Label column').selectOption({ label: 'new column…' });
  for (const c of ['spam', 'ham']) {
    await bar.getByLabel('New class').fill(c);
    await bar.getByRole('button', { name: 'Add class' }).click();
  }
  const grid = page.getByRole('grid', { name: 'Rows of msgs' });
  await grid.getByRole('row').filter({ hasText: 'win a prize' }).click();
  await grid.focus();
  await page.keyboard.press('1'); // spam, and the selection moves down
  await page.keyboard.press('2'); // ham
  await page.keyboard.press('1'); // spam
  await page.keyboard.press('Control+z'); // undo the last one
  const labels = () => page.evaluate(async () => { const c = (await window.jammi!.getSource('msgs')).getChild('label'); return c ? [...c] : null; });
  await expect.poll(labels).toEqual(['spam', 'ham', null, null]);

  // Drag the last row onto the "ham" class.
  await grid.getByRole('row').filter({ hasText: 'lunch?' }).dragTo(bar.getByRole('button', { name: /ham/ }));
  await expect.poll(labels).toEqual(['spam', 'ham', null, 'ham']);
  await expect(bar.getByRole('button', { name: /ham/ })).toContainText('2');

  // Bad input loses nothing: a numeric column cannot take text labels.
  const err = await page.evaluate(() => window.jammi!.setLabels('msgs', 'id', { 0: 'x' }).then(() => 'ok', (e: Error) => e.message));
  expect(err).toBe('ok'); // ids stay text, so this one works…
  await page.evaluate(() => window.jammi!.addSource('nums', 'n,text\n1,a\n2,b\n'));
  const refused = await page.evaluate(() => window.jammi!.setLabels('nums', 'n', { 0: 'x' }).then(() => 'ok', (e: Error) => e.message));
  expect(refused).toContain('Column "n" holds Float64 values, not text labels');

  await page.reload();
  await openApp(page);
  await expect.poll(labels).toEqual(['spam', 'ham', null, 'ham']);
  const info = await page.evaluate(async () => (await window.jammi!.listSources()).find((s) => s.name === 'msgs')!.columns);
  expect(info).toEqual(['id', 'text', 'label']);
});

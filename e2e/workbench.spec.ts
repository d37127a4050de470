import { expect, test } from '@playwright/test';
import {
  addClasses,
  currentRow,
  focusedRow,
  leastConfidentByInfer,
  loadCsv,
  openAt,
  press,
  settledModel,
  shownQueue,
  smsSample,
  storedLabels,
  labelPanel,
} from './workbench-helpers';

// The labelling workbench, keyboard only, on the real SMS spam messages (labels hidden from the app: the test
// reads them from the file and presses the right key, as a person would).
const sms = smsSample();
const keyFor = (row: number) => (sms.gold[row] === 'spam' ? '2' : '1'); // classes: 1 ham, 2 spam

/** Checks a shown queue against the order the test computed (equal scores may come in either order). */
function expectSameOrder(shown: number[], expected: number[], uncertainty: Map<number, number>) {
  expect(shown).toHaveLength(expected.length);
  expect(new Set(shown).size).toBe(shown.length);
  shown.forEach((row, i) => {
    if (row === expected[i]) return;
    const [a, b] = [uncertainty.get(row), uncertainty.get(expected[i])];
    expect(a, `row ${row} at queue position ${i} is unlabelled`).toBeDefined();
    expect(Math.abs(a! - b!), `position ${i}: row ${row} (1 − max p = ${a}) instead of row ${expected[i]} (${b})`).toBeLessThan(1e-6);
  });
}

test('focused view: label 60 SMS rows by keyboard and undo 5; retrains run meanwhile; the queue is the least-confident rows by the newest suggester', async ({ page }) => {
  test.setTimeout(300_000);
  await openAt(page, '#label?source=sms&label=label&text=text');
  await loadCsv(page, 'sms', sms.csv, sms.texts.length);
  await addClasses(page, ['ham', 'spam']);
  await page.getByRole('group', { name: 'Focused labelling' }).focus();

  // 60 labels, one key each, never waiting for the model: each key's effect is on screen before the next key.
  const given = new Map<number, string>();
  const order: number[] = [];
  let duringTraining = 0;
  for (let i = 0; i < 60; i++) {
    const key = keyFor(await currentRow(page));
    const ack = await press(page, key);
    expect(ack.kind).toBe('label');
    expect(ack.label).toBe(key === '2' ? 'spam' : 'ham'); // the key picked the class it shows (1 ham, 2 spam)
    given.set(ack.row, ack.label);
    order.push(ack.row);
    if (ack.training) duringTraining++;
  }
  expect(new Set(order).size).toBe(60);
  // The suggester retrained in the background (first once both classes had 2 labels, then every 10) and keys
  // pressed while it did still took effect at once.
  const status = labelPanel(page).getByTestId('retrain-status');
  await expect.poll(async () => Number(await status.getAttribute('data-version')), { timeout: 60_000 }).toBeGreaterThanOrEqual(4);
  expect(duringTraining, 'keys acknowledged while a retrain ran').toBeGreaterThan(0);
  await expect(labelPanel(page).getByTestId('session-labelled')).toHaveText('60');

  // Undo 5 — Backspace and Ctrl+Z both walk back through the session, newest first.
  for (const [i, key] of ['Backspace', 'Backspace', 'Control+z', 'Backspace', 'Control+z'].entries()) {
    const ack = await press(page, key);
    expect(ack).toMatchObject({ kind: 'undo', row: order[59 - i] });
  }
  await expect(labelPanel(page).getByTestId('session-labelled')).toHaveText('55');
  const expected = sms.texts.map((_, r) => (order.slice(0, 55).includes(r) ? given.get(r)! : null));
  await expect.poll(() => storedLabels(page, 'sms', 'label'), { timeout: 30_000 }).toEqual(expected);
  for (const c of ['ham', 'spam']) await expect(labelPanel(page).getByTestId(`class-count-${c}`)).toHaveText(String(expected.filter((l) => l === c).length));
  await expect(labelPanel(page).getByTestId('unlabelled')).toHaveText((sms.texts.length - 55).toLocaleString('en-US'));

  // Retrain now (keyboard: the button, Enter), then the next 20 rows on screen are exactly the least-confident
  // unlabelled rows by the probabilities jammi.infer gives for the newest suggester.
  const before = Number(await status.getAttribute('data-version'));
  await expect(status).toHaveAttribute('data-training', 'false', { timeout: 60_000 });
  await page.getByRole('button', { name: 'Retrain now' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => Number(await status.getAttribute('data-version')), { timeout: 60_000 }).toBeGreaterThan(before);
  const version = await settledModel(page);
  const shown = await shownQueue(page);
  const byInfer = await leastConfidentByInfer(page, 'sms', 'label', 'text', 20);
  expect(byInfer.version).toBe(version);
  expectSameOrder(shown, byInfer.order, byInfer.uncertainty);
  // The suggestion on screen is the newest model's (same label as infer's argmax, same confidence to the percent).
  const top = shown[0];
  await expect(labelPanel(page).getByTestId('suggestion')).toContainText(`${(100 * (1 - byInfer.uncertainty.get(top)!)).toFixed(0)}%`);

  // Space skips (and undo brings the skipped row back); the help lists the keys; / focuses the filter.
  await page.getByRole('group', { name: 'Focused labelling' }).focus();
  const first = await currentRow(page);
  expect((await press(page, ' ')).kind).toBe('skip');
  expect(await currentRow(page)).toBe(shown[1]);
  expect(await press(page, 'Backspace')).toMatchObject({ kind: 'undo', row: first });
  expect(await currentRow(page)).toBe(first);
  await page.keyboard.press('?');
  await expect(page.getByRole('dialog', { name: 'Keys' })).toContainText('accept the suggestion');
  await page.keyboard.press('Escape');
  await expect(page.getByRole('dialog', { name: 'Keys' })).toHaveCount(0);
  await page.keyboard.press('/');
  await expect(page.getByLabel('Filter the queue')).toBeFocused();
});

test('a reload restores every label, the step and the queue', async ({ page }) => {
  test.setTimeout(240_000);
  const small = smsSample(800);
  await openAt(page, '#label?source=sms&label=label&text=text');
  await loadCsv(page, 'sms', small.csv, 800);
  await addClasses(page, ['ham', 'spam']);
  await page.getByRole('group', { name: 'Focused labelling' }).focus();
  for (let i = 0; i < 24; i++) {
    const row = await currentRow(page);
    await press(page, small.gold[row] === 'spam' ? '2' : '1');
  }
  // Accept the suggestion (Enter, then `a`) — the label is the model's.
  await settledModel(page);
  for (const key of ['Enter', 'a']) {
    const suggested = (await labelPanel(page).getByTestId('suggestion').locator('strong').textContent())!;
    expect(await press(page, key)).toMatchObject({ kind: 'label', label: suggested });
  }
  // A model trained on every label, so that the one trained after the reload (on the same labels) is the same.
  const status = labelPanel(page).getByTestId('retrain-status');
  await expect(status).toHaveAttribute('data-training', 'false', { timeout: 60_000 });
  const v = Number(await status.getAttribute('data-version'));
  await page.getByRole('button', { name: 'Retrain now' }).focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => Number(await status.getAttribute('data-version')), { timeout: 60_000 }).toBeGreaterThan(v);
  await settledModel(page);
  const labels = await storedLabels(page, 'sms', 'label');
  expect(labels.filter((l) => l !== null)).toHaveLength(26);
  const queue = await shownQueue(page);
  expect(queue).toHaveLength(20);

  await page.reload();
  await expect.poll(() => page.evaluate(() => Boolean(window.jammi))).toBe(true);
  await expect(page).toHaveURL(/#label\?source=sms&label=label&text=text$/);
  await expect(page.getByRole('tab', { name: 'Label' })).toHaveAttribute('aria-selected', 'true');
  expect(await storedLabels(page, 'sms', 'label')).toEqual(labels);
  await expect(labelPanel(page).getByTestId('class-count-spam')).toHaveText(String(labels.filter((l) => l === 'spam').length));
  await settledModel(page);
  expect(await shownQueue(page)).toEqual(queue);
  await expect(focusedRow(page)).toBeVisible();
});

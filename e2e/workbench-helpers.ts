import fs from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { parse } from 'csv-parse/sync';
import { datasetPath } from './helpers';

/** The first `n` SMS spam messages as an `id,text` CSV (no labels: the test labels them) and their gold labels. */
export function smsSample(n?: number): { csv: string; texts: string[]; gold: string[] } {
  const records = (parse(fs.readFileSync(datasetPath('sms-spam.csv'), 'utf8'), { bom: true }) as string[][]).slice(1, n === undefined ? undefined : n + 1);
  const quote = (s: string) => `"${s.replace(/"/g, '""')}"`;
  const csv = ['id,text', ...records.map((r) => `${r[0]},${quote(r[1])}`)].join('\r\n') + '\r\n';
  return { csv, texts: records.map((r) => r[1]), gold: records.map((r) => r[2]) };
}

/** Opens the app at a hash (e.g. `#label?source=sms&label=label&text=text`) and waits for `window.jammi`. */
export async function openAt(page: Page, hash: string): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`/${hash}`);
  await expect.poll(() => page.evaluate(() => Boolean(window.jammi)), { message: `window.jammi never appeared: ${errors.join('; ')}` }).toBe(true);
}

/** Loads a CSV through the page's file input (as a person picking a file would). */
export async function loadCsv(page: Page, name: string, csv: string, rows: number): Promise<void> {
  await page.getByTestId('file-input').setInputFiles({ name: `${name}.csv`, mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect.poll(() => page.evaluate(async (n) => (await window.jammi!.listSources()).find((s) => s.name === n)?.rows ?? 0, name)).toBe(rows);
}

/** Types new classes into the label bar (keyboard: type, Enter). Their keys follow the order given. */
export async function addClasses(page: Page, classes: string[]): Promise<void> {
  const input = page.getByRole('region', { name: 'Label rows' }).getByLabel('New class');
  await input.focus();
  for (const c of classes) {
    await page.keyboard.type(c);
    await page.keyboard.press('Enter');
  }
  for (const c of classes) await expect(labelPanel(page).getByTestId(`class-count-${c}`)).toBeVisible();
}

/** The Label step's panel (the Train step shows the suggester's status too). */
export const labelPanel = (page: Page) => page.locator('#step-panel-label');

export const focusedRow = (page: Page) => labelPanel(page).getByTestId('focused-row');

/** The row on screen in the focused view. */
export async function currentRow(page: Page): Promise<number> {
  await expect(focusedRow(page)).toHaveAttribute('data-row', /^\d+$/);
  return Number(await focusedRow(page).getAttribute('data-row'));
}

export interface Ack {
  seq: number;
  kind: 'label' | 'skip' | 'undo';
  row: number;
  label: string;
  /** The suggester was retraining when the key's effect reached the screen. */
  training: boolean;
}

/** Presses a key in the focused view and waits until the view shows what it did (the "last action" line). */
export async function press(page: Page, key: string): Promise<Ack> {
  const before = Number(await labelPanel(page).getByTestId('last-action').getAttribute('data-seq'));
  await page.keyboard.press(key);
  const handle = await page.waitForFunction(
    (b) => {
      const el = document.querySelector<HTMLElement>('#step-panel-label [data-testid="last-action"]');
      if (!el || Number(el.dataset.seq) <= b) return null;
      const training = document.querySelector<HTMLElement>('#step-panel-label [data-testid="retrain-status"]')?.dataset.training === 'true';
      return { seq: Number(el.dataset.seq), kind: el.dataset.kind, row: Number(el.dataset.row), label: el.dataset.label, training };
    },
    before,
    { polling: 'raf', timeout: 10_000 },
  );
  return (await handle.jsonValue()) as Ack;
}

/** A source's label column, read through the API. */
export async function storedLabels(page: Page, source: string, column: string): Promise<(string | null)[]> {
  return page.evaluate(
    async ([s, c]) => {
      const col = (await window.jammi!.getSource(s)).getChild(c);
      return col ? ([...col] as (string | null)[]) : [];
    },
    [source, column] as const,
  );
}

/** Waits until the suggester is idle and the focused view's queue comes from its newest model; returns that version. */
export async function settledModel(page: Page): Promise<number> {
  const status = labelPanel(page).getByTestId('retrain-status');
  await expect(status).toHaveAttribute('data-training', 'false', { timeout: 60_000 });
  await expect.poll(async () => Number(await status.getAttribute('data-version')), { timeout: 60_000 }).toBeGreaterThan(0);
  const version = await status.getAttribute('data-version');
  await expect(focusedRow(page)).toHaveAttribute('data-model-version', version!, { timeout: 30_000 });
  await expect(status).toHaveAttribute('data-training', 'false');
  await expect(status).toHaveAttribute('data-version', version!);
  return Number(version);
}

/** The focused view's queue as shown: the row on screen, then the "Up next" rows (19 of them when the page is full). */
export async function shownQueue(page: Page): Promise<number[]> {
  const next = await page.getByRole('region', { name: 'Up next' }).locator('li[data-row]').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-row'))));
  return [await currentRow(page), ...next];
}

/**
 * The least-confident unlabelled rows by the probabilities `jammi.infer` gives for the newest suggester, computed
 * here: score = 1 − max p per row (from all_scores_json), highest first, ties in row order.
 */
export async function leastConfidentByInfer(page: Page, source: string, labelColumn: string, textColumn: string, count: number) {
  const { scores, labels, version } = await page.evaluate(
    async ([s, l, t]) => {
      const result = await window.jammi!.infer({ source: s, model: `jammi:suggester:${s}/${l}`, columns: [t] });
      const labels = [...(await window.jammi!.getSource(s)).getChild(l)!] as (string | null)[];
      return { scores: [...result.getChild('all_scores_json')!] as (string | null)[], labels, version: result.schema.metadata.get('jammi.suggester_version') };
    },
    [source, labelColumn, textColumn] as const,
  );
  const uncertainty = new Map<number, number>();
  scores.forEach((json, row) => {
    if (json === null || labels[row] !== null) return;
    const p = Object.values(JSON.parse(json) as Record<string, number>);
    uncertainty.set(row, 1 - Math.max(...p));
  });
  const order = [...uncertainty.keys()].sort((a, b) => uncertainty.get(b)! - uncertainty.get(a)! || a - b);
  return { order: order.slice(0, count), uncertainty, version: Number(version) };
}

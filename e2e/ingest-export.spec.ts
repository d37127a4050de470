import fs from 'node:fs';
import { expect, test } from '@playwright/test';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { datasetPath, openApp, readDownload } from './helpers';

/** An independent reading of the CSV (csv-parse, not the app's PapaParse) to compare every cell with. */
function independentParse(text: string): { header: string[]; rows: string[][] } {
  const records = parse(text, { bom: true, relax_column_count: false }) as string[][];
  return { header: records[0], rows: records.slice(1) };
}

test('drop sms-spam.csv, see 5,574 rows, export Arrow and CSV with every cell intact', async ({ page }) => {
  const file = datasetPath('sms-spam.csv');
  const expected = independentParse(fs.readFileSync(file, 'utf8'));
  expect(expected.rows.length).toBe(5574);

  await openApp(page);
  await page.getByTestId('file-input').setInputFiles(file);
  await expect(page.getByTestId('source-stats-sms-spam')).toContainText('5,574 rows · 3 columns');
  await expect(page.getByRole('grid', { name: 'Rows of sms-spam' })).toBeVisible();

  // Arrow export: every cell equals the independent parse (empty cell ↔ null), ids kept as text.
  await page.getByRole('tab', { name: 'Export' }).click();
  const [arrowDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Arrow' }).click()]);
  expect(arrowDownload.suggestedFilename()).toBe('sms-spam.arrow');
  const table = tableFromIPC(await readDownload(arrowDownload));
  expect(table.schema.fields.map((f) => f.name)).toEqual(expected.header);
  expect(table.numRows).toBe(expected.rows.length);
  for (let c = 0; c < expected.header.length; c++) {
    const col = table.getChildAt(c)!;
    expect(String(col.type)).toBe('Utf8');
    for (let r = 0; r < expected.rows.length; r++) {
      const want = expected.rows[r][c] === '' ? null : expected.rows[r][c];
      if (col.get(r) !== want) throw new Error(`Arrow cell (${r}, ${expected.header[c]}) is ${JSON.stringify(col.get(r))}, expected ${JSON.stringify(want)}`);
    }
  }

  // CSV export: RFC 4180 text that reads back to the same cells — except that a text cell a spreadsheet would run
  // as a formula (=, +, -, @, tab, CR first; 4 cells of this file) is prefixed with ' (OWASP CSV injection).
  const [csvDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export CSV' }).click()]);
  expect(csvDownload.suggestedFilename()).toBe('sms-spam.csv');
  const csvText = (await readDownload(csvDownload)).toString('utf8');
  expect(csvText.slice(0, 15)).toBe('id,text,label\r\n');
  const roundTrip = independentParse(csvText);
  expect(roundTrip.header).toEqual(expected.header);
  const neutralised = expected.rows.map((row) => row.map((cell) => (/^[=+\-@\t\r]/.test(cell) ? `'${cell}` : cell)));
  expect(neutralised).not.toEqual(expected.rows); // the file has such cells: the rule is exercised
  expect(roundTrip.rows).toEqual(neutralised);
});

test('leading zeros, numbers and nulls survive; the source survives a reload', async ({ page }) => {
  await openApp(page);
  const csv = 'zip,amount,note\n00501,1.5,"a, b"\n02134,-3,\n10001,1000,"say ""hi"""\n';
  const info = await page.evaluate((text) => window.jammi!.addSource('zips', text), csv);
  expect(info.types).toEqual({ zip: 'text', amount: 'number', note: 'text' });
  const cells = async () =>
    page.evaluate(async () => {
      const t = await window.jammi!.getSource('zips');
      return t.toArray().map((r) => r.toJSON());
    });
  expect(info.types.amount).toBe('number');
  expect(await cells()).toEqual([
    { zip: '00501', amount: 1.5, note: 'a, b' },
    { zip: '02134', amount: -3, note: null },
    { zip: '10001', amount: 1000, note: 'say "hi"' },
  ]);
  await page.reload();
  await openApp(page);
  await expect(page.getByTestId('source-stats-zips')).toContainText('3 rows · 3 columns');
  expect(await cells()).toHaveLength(3);
});

test('a bad file gets a specific error and loses nothing already loaded', async ({ page }) => {
  await openApp(page);
  await page.evaluate(() => window.jammi!.addSource('good', 'a,b\n1,2\n'));
  const failures = await page.evaluate(async () => {
    const tries: [string, string | Blob][] = [
      ['dup', 'a,b,a\n1,2,3\n'],
      ['empty', ''],
      ['header-only', 'a,b,c\n'],
      ['binary', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 13])])],
    ];
    const out: Record<string, string> = {};
    for (const [name, input] of tries) {
      out[name] = await window.jammi!.addSource(name, input).then(() => 'loaded', (e: Error) => e.message);
    }
    return out;
  });
  expect(failures.dup).toContain('Duplicate column name "a" (columns 1 and 3)');
  expect(failures.empty).toContain('The file is empty');
  expect(failures['header-only']).toContain('header row (a, b, c) but no data rows');
  expect(failures.binary).toContain('binary file');
  const names = await page.evaluate(async () => (await window.jammi!.listSources()).map((s) => s.name));
  expect(names).toEqual(['good']);

  // Through the page too: the failure is shown, the good source stays listed.
  await page.getByTestId('file-input').setInputFiles({ name: 'dup.csv', mimeType: 'text/csv', buffer: Buffer.from('x,x\n1,2\n') });
  await expect(page.getByRole('alert')).toContainText('Duplicate column name "x"');
  await expect(page.getByTestId('source-stats-good')).toContainText('1 row · 2 columns');
});

test('a large load reports progress in bytes and rows and can be cancelled without leaving anything behind', async ({ page }) => {
  await openApp(page);
  const result = await page.evaluate(async () => {
    const line = '123,"some text, with a comma",spam\n';
    const blob = new Blob(['id,text,label\n', line.repeat(600_000)]); // ~21 MB
    const progress: { bytes: number; rows: number }[] = [];
    const controller = new AbortController();
    const outcome = await window
      .jammi!.addSource('big', blob, {
        signal: controller.signal,
        onProgress: (p) => {
          progress.push({ bytes: p.bytes, rows: p.rows });
          if (progress.length === 2) controller.abort();
        },
      })
      .then(() => 'loaded', (e: Error) => e.name);
    const full = await window.jammi!.addSource('big-full', blob, { onProgress: (p) => progress.push({ bytes: p.bytes, rows: p.rows }) });
    return { outcome, progress, sources: (await window.jammi!.listSources()).map((s) => s.name), rows: full.rows, size: blob.size };
  });
  expect(result.outcome).toBe('AbortError');
  expect(result.sources).toEqual(['big-full']);
  expect(result.rows).toBe(600_000);
  expect(result.progress[0].rows).toBeGreaterThan(0);
  expect(result.progress[1].bytes).toBeGreaterThan(result.progress[0].bytes);
  expect(result.progress.at(-1)).toEqual({ bytes: result.size, rows: 600_000 });
});

test('the table view scrolls a million rows from the keyboard', async ({ page }) => {
  await openApp(page);
  await page.evaluate(async () => {
    const parts = ['n,word\n'];
    for (let i = 1; i <= 1_000_000; i++) parts.push(`${i},w${i}\n`);
    await window.jammi!.addSource('million', new Blob(parts));
  });
  await page.getByRole('button', { name: 'million', exact: true }).click();
  const grid = page.getByRole('grid', { name: 'Rows of million' });
  await expect(grid.getByRole('gridcell', { name: 'w1', exact: true })).toBeVisible();
  expect(await grid.getByRole('row').count()).toBeLessThan(100); // virtualised: only what is on screen is in the DOM
  await grid.focus();
  await page.keyboard.press('End');
  await expect(grid.getByRole('gridcell', { name: 'w1000000', exact: true })).toBeVisible();
  await page.keyboard.press('Home');
  await expect(grid.getByRole('gridcell', { name: 'w1', exact: true })).toBeVisible();
});

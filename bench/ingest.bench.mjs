// Loading a 200 MB CSV through the page's file input: wall time, throughput, peak browser memory, and the longest
// main-thread stall while it loads (the page must not freeze).
import fs from 'node:fs';
import path from 'node:path';
import { browserRss, launch } from './browser.mjs';

const SIZE = Number(process.env.JAMMI_BENCH_CSV_MB ?? 200) * 2 ** 20;

function makeCsv(root) {
  const file = path.join(root, 'bench/out', `ingest-${SIZE >> 20}mb.csv`);
  if (fs.existsSync(file) && fs.statSync(file).size >= SIZE) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sms = fs.readFileSync(path.join(root, '../shared/datasets/sms-spam.csv'), 'utf8').split('\n').slice(1).filter(Boolean);
  const out = fs.openSync(file, 'w');
  fs.writeSync(out, 'id,text,label,score,zip\n');
  let written = 0;
  let buf = '';
  for (let i = 0; written < SIZE; i++) {
    const line = sms[i % sms.length];
    const comma = line.indexOf(',');
    buf += `${i},${line.slice(comma + 1)},${(i % 1000) / 8},0${i % 9999}\n`;
    if (buf.length > 1 << 20) {
      written += fs.writeSync(out, buf);
      buf = '';
    }
  }
  fs.writeSync(out, buf);
  fs.closeSync(out);
  return file;
}

export async function run({ baseURL, root }) {
  const file = makeCsv(root);
  const bytes = fs.statSync(file).size;
  const browser = await launch();
  const page = await browser.newPage();
  await page.goto(baseURL);
  await page.waitForFunction(() => Boolean(window.jammi));
  const before = browserRss(process.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, browserRss(process.pid))), 100);
  await page.evaluate(() => {
    window.__stall = 0;
    let last = performance.now();
    window.__stallTimer = setInterval(() => {
      const now = performance.now();
      window.__stall = Math.max(window.__stall, now - last - 10);
      last = now;
    }, 10);
  });
  const t0 = Date.now();
  await page.locator('[data-testid="file-input"]').setInputFiles(file);
  const name = path.basename(file, '.csv');
  await page.locator(`[data-testid="source-stats-${name}"]`).waitFor({ timeout: 30 * 60_000 });
  const seconds = (Date.now() - t0) / 1000;
  clearInterval(sampler);
  const { rows, stall } = await page.evaluate(async (n) => ({
    rows: (await window.jammi.listSources()).find((s) => s.name === n).rows,
    stall: window.__stall,
  }), name);
  await browser.close();
  const mb = bytes / 2 ** 20;
  return {
    title: 'CSV ingest (page file input → worker → Arrow), headless Chromium',
    columns: ['file', 'rows', 'time (s)', 'MB/s', 'rows/s', 'peak browser RSS (MiB)', 'RSS growth (MiB)', 'longest main-thread stall (ms)'],
    rows: [[`${mb.toFixed(0)} MB`, rows.toLocaleString('en-US'), seconds.toFixed(1), (mb / seconds).toFixed(1), Math.round(rows / seconds).toLocaleString('en-US'), (peak / 2 ** 20).toFixed(0), ((peak - before) / 2 ** 20).toFixed(0), stall.toFixed(0)]],
  };
}

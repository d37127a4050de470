// Key-to-screen latency of the focused labelling view while the suggester retrains in the background (target: p95
// under 50 ms). Each key is a real keypress in headless Chromium; the time runs from the key event's timestamp to the
// end of the first frame that shows its effect (the "last action" line and the next row), measured in the page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch } from './browser.mjs';

const LABELS = Number(process.env.JAMMI_BENCH_LABELS ?? 150);

function smsRows(root) {
  const text = fs.readFileSync(path.join(root, '../shared/datasets/sms-spam.csv'), 'utf8');
  // csv-parse is a dev dependency; the SMS file is RFC 4180 with quoted texts.
  return import('csv-parse/sync').then(({ parse }) => parse(text, { bom: true }).slice(1));
}

const quote = (s) => `"${s.replace(/"/g, '""')}"`;

/** Labels LABELS rows of `copies` × the SMS set through the focused view; returns per-key latencies. */
async function session(baseURL, records, copies, retrainEvery) {
  const rows = Array.from({ length: copies }, () => records).flat();
  const csv = ['id,text', ...rows.map((r, i) => `${i},${quote(r[1])}`)].join('\n') + '\n';
  const gold = rows.map((r) => r[2]);
  const browser = await launch();
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${baseURL}/#label?source=sms&label=label&text=text`);
    await page.waitForFunction(() => Boolean(window.jammi));
    await page.evaluate((text) => window.jammi.addSource('sms', text), csv);
    const input = page.locator('#step-panel-label').getByLabel('New class');
    await input.focus();
    for (const c of ['ham', 'spam']) {
      await page.keyboard.type(c);
      await page.keyboard.press('Enter');
    }
    await page.evaluate((n) => window.jammi.setSuggesterOptions({ source: 'sms', labelColumn: 'label', textColumn: 'text', retrainEvery: n }), retrainEvery);
    const view = page.getByRole('group', { name: 'Focused labelling' });
    await view.focus();
    await page.evaluate(() => {
      const panel = document.querySelector('#step-panel-label');
      const last = () => panel.querySelector('[data-testid="last-action"]');
      const status = () => panel.querySelector('[data-testid="retrain-status"]');
      window.__keys = [];
      document.addEventListener(
        'keydown',
        (e) => {
          const seq = last().dataset.seq;
          const record = { training: status()?.dataset.training === 'true', ms: NaN };
          window.__keys.push(record);
          const done = () => {
            // The frame's rendering (style, layout, paint) runs after its rAF callbacks; a task posted from the
            // callback runs after it.
            requestAnimationFrame(() => {
              const channel = new MessageChannel();
              channel.port1.onmessage = () => (record.ms = performance.now() - e.timeStamp);
              channel.port2.postMessage(0);
            });
          };
          if (last().dataset.seq !== seq) return done();
          const observer = new MutationObserver(() => {
            if (last().dataset.seq === seq) return;
            observer.disconnect();
            done();
          });
          observer.observe(panel, { subtree: true, attributes: true, childList: true });
        },
        true,
      );
    });
    // The page's main-thread work (tasks: script, style, layout, paint) over the keys, from the renderer's own
    // counters: what the page does per key, which a loaded machine inflates less than the latency it waits through.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable');
    const metrics = async () => Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
    const before = await metrics();
    for (let i = 0; i < LABELS; i++) {
      const row = Number(await page.locator('#step-panel-label [data-testid="focused-row"]').getAttribute('data-row'));
      await page.keyboard.press(gold[row] === 'spam' ? '2' : '1');
      await page.waitForFunction((n) => window.__keys.length === n && Number.isFinite(window.__keys[n - 1].ms), i + 1, { polling: 'raf' });
    }
    const after = await metrics();
    const perKey = (name) => (1000 * (after[name] - before[name])) / LABELS;
    const work = { task: perKey('TaskDuration'), script: perKey('ScriptDuration') };
    const keys = await page.evaluate(() => window.__keys);
    const status = await page.evaluate(() => window.jammi.suggesterStatus({ source: 'sms', labelColumn: 'label' }));
    return { rows: rows.length, keys, retrains: status.version, work };
  } finally {
    await browser.close();
  }
}

const pct = (xs, p) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

export async function run({ baseURL, root }) {
  const records = await smsRows(root);
  const out = [];
  const load = os.loadavg()[0];
  // The last run retrains only once (at 2 labels per class): the same keys with (almost) no retrain, for comparison.
  for (const [copies, every] of [[1, 5], [4, 5], [1, 1_000_000]]) {
    const { rows, keys, retrains, work } = await session(baseURL, records, copies, every);
    const during = keys.filter((k) => k.training).map((k) => k.ms);
    const all = keys.map((k) => k.ms);
    out.push([
      rows.toLocaleString('en-US'),
      every === 1_000_000 ? 'never (once)' : every,
      keys.length,
      retrains,
      during.length,
      ms(pct(during, 50)),
      ms(pct(during, 95)),
      ms(Math.max(...during)),
      ms(pct(all, 50)),
      ms(pct(all, 95)),
      `${ms(work.task)} (${ms(work.script)})`,
      pct(during.length ? during : all, 95) < 50 ? 'yes' : 'no',
    ]);
  }
  return {
    title: 'Focused labelling view: key-to-screen latency while the suggester retrains (headless Chromium)',
    columns: ['rows', 'retrain every', 'keys', 'retrains', 'keys during a retrain', 'p50 during (ms)', 'p95 during (ms)', 'max during (ms)', 'p50 all (ms)', 'p95 all (ms)', 'main-thread work per key, ms (of it script)', 'p95 < 50 ms'],
    rows: out,
    notes: `One label per key (the gold SMS label's key); "during" = a retrain was running when the key was pressed. Time from the key event to the end of the first frame that shows it. Main-thread work: the renderer's TaskDuration (ScriptDuration) over the keys, divided by the keys (it includes the benchmark's own probes). Load average at the start: ${load.toFixed(1)} on ${os.cpus().length} cores.`,
  };
}

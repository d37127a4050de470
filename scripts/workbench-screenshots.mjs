// Screenshots of the labelling workbench for the README: `npx vite build && node scripts/workbench-screenshots.mjs`.
// Loads the bundled sample, labels 100 rows by keyboard (the sample's own gold labels) and saves the focused view and
// the learning curve to docs/.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './chromium-path.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const port = await new Promise((resolve) => {
  const probe = net.createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address();
    probe.close(() => resolve(port));
  });
});
const server = spawn('npx', ['vite', 'preview', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], { cwd: root, stdio: 'ignore', detached: true });
try {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(base)).ok) break;
    } catch {
      if (i > 120) throw new Error('vite preview did not start');
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: chromiumArgs });
  const page = await browser.newPage({ viewport: { width: 1180, height: 720 } });
  await page.goto(base);
  await page.waitForFunction(() => Boolean(window.jammi));
  await page.getByRole('button', { name: 'Load sample data' }).click();
  const panel = page.locator('#step-panel-label');
  const card = panel.getByTestId('focused-row');
  await card.waitFor();
  for (let i = 0; i < 100; i++) {
    const row = Number(await card.getAttribute('data-row'));
    const gold = await page.evaluate(async (r) => (await window.jammi.getSource('uci-sentiment-sample')).getChild('gold').get(r), row);
    const seq = await panel.getByTestId('last-action').getAttribute('data-seq');
    await page.keyboard.press(gold === 'positive' ? '2' : '1');
    await page.waitForFunction((s) => document.querySelector('#step-panel-label [data-testid="last-action"]').dataset.seq !== s, seq);
  }
  const status = panel.getByTestId('retrain-status');
  await page.waitForFunction(() => {
    const s = document.querySelector('#step-panel-label [data-testid="retrain-status"]').dataset;
    return s.training === 'false' && Number(s.version) >= 4;
  });
  await page.waitForFunction((v) => document.querySelector('#step-panel-label [data-testid="focused-row"]').dataset.modelVersion === v, await status.getAttribute('data-version'));
  await page.mouse.move(0, 0);
  await page.screenshot({ path: path.join(root, 'docs/workbench-focused.png') });
  await panel.locator('figure.learning-curve').screenshot({ path: path.join(root, 'docs/workbench-learning-curve.png') });
  await browser.close();
  console.log('wrote docs/workbench-focused.png, docs/workbench-learning-curve.png');
} finally {
  process.kill(-server.pid);
}

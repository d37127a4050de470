/**
 * "Export as model" in the app: fine-tune briefly, export the model zip from the Fine-tuned models list, unzip it,
 * load the folder back as a local model folder (the Classify panel's folder picker, and `infer` with `{ name, files }`),
 * and compare its probabilities with `infer` on the fine-tuned model id.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { unzipSync } from 'fflate';
import { openApp, readDownload, smsRows } from './helpers';

const cases = [
  { target: 'encoder', base: 'bert-tiny-sentiment', config: { epochs: 1, batch_size: 16, max_seq_length: 64, learning_rate: 1e-2 } },
  { target: 'head', base: 'bert-tiny-embed', config: { epochs: 5 } },
] as const;

async function fineTune(page: Page, c: (typeof cases)[number]): Promise<string> {
  return page.evaluate(async ({ csv, c }) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const job = await jammi.fineTune({ source: 'sms', baseModel: c.base, columns: { text: 'text', label: 'label' }, target: c.target, backend: 'wasm', config: c.config });
    await job.wait();
    return job.modelId;
  }, { csv: smsRows(120), c });
}

for (const c of cases) {
  test(`${c.target} target: the exported model folder, loaded back, classifies like the fine-tuned model (|Δp| < 1e-4)`, async ({ page }) => {
    test.setTimeout(400_000);
    await openApp(page);
    const modelId = await fineTune(page, c);
    await page.getByRole('button', { name: 'sms', exact: true }).click();

    // Export from the list (the Train step): one zip holding the folder.
    await page.getByRole('tab', { name: 'Train' }).click();
    const list = page.getByRole('region', { name: 'Fine-tuned models' });
    const [download] = await Promise.all([page.waitForEvent('download'), list.getByRole('button', { name: 'Export as model' }).click()]);
    const folder = download.suggestedFilename().replace(/\.zip$/, '');
    expect(folder).toMatch(new RegExp(`^${c.base}-ft-`));
    await expect(list.getByRole('status')).toContainText(`Exported ${modelId}`);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'jammi-export-e2e-'));
    const entries = unzipSync(new Uint8Array(await readDownload(download)));
    for (const [p, bytes] of Object.entries(entries)) {
      fs.mkdirSync(path.dirname(path.join(tmp, p)), { recursive: true });
      fs.writeFileSync(path.join(tmp, p), bytes);
    }
    const dir = path.join(tmp, folder);
    const files = Object.keys(entries).map((p) => p.slice(folder.length + 1)).sort();
    expect(files).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']));
    const config = JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8'));
    expect(config).toMatchObject({ id2label: { 0: 'ham', 1: 'spam' }, label2id: { ham: 0, spam: 1 }, num_labels: 2 });

    // Loaded back through `infer` as a local folder ({ name, files }), against `infer` on the fine-tuned id.
    const b64 = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
    const out = await page.evaluate(async ({ b64, folder, modelId }) => {
      const jammi = window.jammi!;
      const files: Record<string, Blob> = {};
      for (const [f, s] of Object.entries(b64)) files[f] = new Blob([Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0))]);
      const run = async (model: string | { name: string; files: Record<string, Blob> }) => {
        const t = await jammi.infer({ source: 'sms', model, columns: ['text'], key: 'id', backend: 'wasm' });
        return { scores: [...t.getChild('all_scores_json')!] as (string | null)[], labels: [...t.getChild('label')!] as (string | null)[], models: [...new Set(t.getChild('_model')!)] };
      };
      const unknown = await jammi.exportModel('jammi:fine-tuned:nope').then(() => 'resolved', (e: Error) => `${e.name}: ${e.message}`);
      return { fineTuned: await run(modelId), exported: await run({ name: folder, files }), unknown };
    }, { b64, folder, modelId });
    expect(out.exported.models).toEqual([folder]);
    expect(out.unknown).toMatch(/^JammiError: Unknown fine-tuned model "jammi:fine-tuned:nope"\. Known: /);
    let maxDelta = 0;
    let rows = 0;
    out.fineTuned.scores.forEach((s, i) => {
      const e = out.exported.scores[i];
      expect(e === null).toBe(s === null);
      if (s === null || e === null) return;
      rows++;
      const a = JSON.parse(s) as Record<string, number>;
      const b = JSON.parse(e) as Record<string, number>;
      expect(Object.keys(b)).toEqual(Object.keys(a));
      for (const k of Object.keys(a)) maxDelta = Math.max(maxDelta, Math.abs(a[k] - b[k]));
    });
    console.log(`${c.target} target (${c.base}): exported folder vs ${modelId} in the app: max |Δp| ${maxDelta.toExponential(2)} over ${rows} rows`);
    expect(rows).toBeGreaterThan(100);
    expect(maxDelta).toBeLessThan(1e-4);
    expect(out.exported.labels).toEqual(out.fineTuned.labels);

    // And picked from disk in the Classify panel: the folder runs, with the trained labels.
    await page.getByRole('tab', { name: 'Classify' }).click();
    const panel = page.getByRole('region', { name: 'Classify text' });
    await panel.getByText('Advanced', { exact: true }).click();
    await panel.getByRole('radio', { name: 'Local folder' }).check();
    await panel.getByLabel('Model folder').setInputFiles(dir);
    await expect(panel.getByText(new RegExp(`^${folder}: \\d+ files`))).toBeVisible();
    await panel.getByLabel('Backend').selectOption('wasm');
    await panel.getByRole('button', { name: 'Run' }).click();
    await expect(panel.getByTestId('results-summary')).toContainText(`model ${folder} on wasm (fp32)`, { timeout: 120_000 });
    const labels = out.fineTuned.labels.filter((l): l is string => l !== null);
    for (const label of new Set(labels)) {
      await expect(panel.getByTestId(`label-count-${label}`)).toHaveText(String(labels.filter((l) => l === label).length));
    }
    fs.rmSync(tmp, { recursive: true, force: true });
  });
}

import { expect, test } from '@playwright/test';
import { hubServer, openApp, smsRows } from './helpers';
import { watchCsp } from './csp';

/**
 * No egress: a full journey (ingest, classify with a served model and with one from the configured Hub host,
 * fine-tune, classify with the result, export results and the adapter) under the app's CSP, recording every request
 * the browser makes — the page's and its workers' — and asserting each goes to the app's own origin or the
 * configured model host, and nowhere else.
 */

test('a full journey talks only to the app origin and the configured model host', async ({ page, baseURL }) => {
  test.setTimeout(400_000);
  const hub = await hubServer();
  const requests: string[] = [];
  // What the page and its workers asked for themselves, apart from the service worker's precaching of every asset.
  const ownRequests: string[] = [];
  page.context().on('request', (r) => {
    requests.push(r.url());
    if (!r.serviceWorker()) ownRequests.push(r.url());
  });
  const csp = await watchCsp(page);
  await openApp(page);
  const out = await page.evaluate(async ({ csv, hubHost }) => {
    const jammi = window.jammi!;
    await jammi.addSource('sms', csv);
    const served = await jammi.infer({ source: 'sms', model: 'bert-tiny-sentiment', columns: ['text'], key: 'id', backend: 'wasm' });
    const fromHub = await jammi.infer({ source: 'sms', model: 'roberta-tiny-spam', columns: ['text'], key: 'id', backend: 'wasm', modelSource: 'hub', hubHost });
    const job = await jammi.fineTune({ source: 'sms', baseModel: 'bert-tiny-embed', columns: { text: 'text', label: 'label' }, target: 'head', backend: 'wasm', config: { epochs: 1 } });
    const report = await job.wait();
    const tuned = await jammi.infer({ source: 'sms', model: job.modelId, columns: ['text'], key: 'id', backend: 'wasm' });
    const arrow = await jammi.export(tuned, 'arrow');
    const csvOut = await jammi.export('sms', 'csv');
    const adapter = await jammi.exportAdapter(job.modelId);
    return { rows: [served.numRows, fromHub.numRows, tuned.numRows], status: report.status, sizes: [arrow.size, csvOut.size, Object.keys(adapter).length] };
  }, { csv: smsRows(60), hubHost: hub.host });
  await hub.stop();
  expect(out.rows).toEqual([60, 60, 60]);
  expect(out.status).toBe('completed');
  expect(out.sizes.every((s) => s > 0)).toBe(true);

  const app = new URL(baseURL!).origin;
  const allowed = new Set([app, hub.host]);
  const elsewhere = requests.filter((u) => !/^(data|blob):/.test(u) && !allowed.has(new URL(u).origin));
  expect(elsewhere, 'requests to hosts other than the app and the model host').toEqual([]);
  // The recorder saw the workers' requests too: the Hub model's files (fetched in the inference worker) and the
  // served model's, the workers' scripts and ONNX Runtime's WebAssembly.
  expect(requests).toContain(`${hub.host}/roberta-tiny-spam/resolve/main/onnx/model.onnx`);
  expect(requests.some((u) => u.startsWith(`${app}/models/bert-tiny-sentiment/resolve/main/`))).toBe(true);
  expect(requests.some((u) => /\.wasm$/.test(u))).toBe(true);
  // Every ONNX Runtime session here runs on wasm: the plain build's files load, the asyncify build's (WebGPU) never.
  expect(ownRequests.some((u) => /\/ort-wasm-simd-threaded-[^/.]*\.wasm$/.test(u)), 'the plain ORT build ran').toBe(true);
  expect(ownRequests.filter((u) => /ort-wasm-simd-threaded\.asyncify/.test(u)), 'the asyncify ORT build was not loaded').toEqual([]);
  expect(requests.some((u) => /worker/.test(u))).toBe(true);
  console.log(`egress: ${requests.length} requests, ${new Set(requests.map((u) => (/^(data|blob):/.test(u) ? u.slice(0, 5) : new URL(u).origin))).size} origins`);
  expect(await csp.violations()).toEqual([]);
});

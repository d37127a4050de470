import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { tableFromIPC } from 'apache-arrow';
import { readParquet } from 'parquet-wasm';
import { chromiumArgs, chromiumPath } from '../scripts/chromium-path.mjs';
import { hubServer, openApp, readDownload } from './helpers';
import { checkAgainstReference, inferInPage, reference, textsCsv } from './infer-helpers';

// The one spec that lets the app's service worker run (playwright.config.ts blocks it elsewhere).
test.use({ serviceWorkers: 'allow' });

const MODEL = 'bert-tiny-sentiment';
const SOURCE = 'reviews';

test('second visit with the network off: the app loads, lists its source and labels, classifies with the cached model', async ({ context, page, baseURL }, testInfo) => {
  test.setTimeout(400_000);
  const origin = new URL(baseURL!).origin;
  const requests: string[] = [];
  const pageRequests: string[] = []; // made by the app's pages and workers, not by the service worker's precaching
  context.on('request', (r) => {
    requests.push(r.url());
    if (!r.serviceWorker()) pageRequests.push(new URL(r.url()).pathname);
  });
  let offlineNow = false;
  const offlineAnswers: { url: string; fromServiceWorker: boolean }[] = [];
  context.on('requestfinished', (r) => {
    if (!offlineNow || !/^https?:/.test(r.url())) return;
    void r.response().then((res) => offlineAnswers.push({ url: r.url(), fromServiceWorker: !!res?.fromServiceWorker() }));
  });
  const offlineFailures: string[] = [];
  context.on('requestfailed', (r) => offlineNow && offlineFailures.push(new URL(r.url()).pathname));

  // First visit: load a CSV through the page, label a few rows, classify with a served model, fine-tune on the labels.
  await openApp(page);
  const csvPath = testInfo.outputPath(`${SOURCE}.csv`);
  const ref = reference(MODEL);
  fs.writeFileSync(csvPath, textsCsv(ref.texts));
  await page.getByTestId('file-input').setInputFiles(csvPath);
  await expect(page.getByTestId(`source-stats-${SOURCE}`)).toContainText(`${ref.texts.length} rows`);
  const gold = Object.fromEntries(ref.labels.map((l, i) => [i, ref.texts[i].trim() ? l : null]));
  await page.evaluate(([s, g]) => window.jammi!.setLabels(s as string, 'sentiment', g as Record<number, string | null>), [SOURCE, gold] as const);

  const options = { source: SOURCE, model: MODEL, columns: ['text'], key: 'id', backend: 'wasm' };
  const online = await inferInPage(page, options);
  checkAgainstReference(online, MODEL, SOURCE);
  const tuned = await page.evaluate(async (source) => {
    const job = await window.jammi!.fineTune({
      source,
      baseModel: 'bert-tiny-sentiment',
      columns: { text: 'text', label: 'sentiment' },
      backend: 'wasm',
      config: { epochs: 1, batch_size: 4, validation_fraction: 0 },
    });
    await job.wait();
    return { modelId: job.modelId, status: job.status };
  }, SOURCE);
  expect(tuned.status).toBe('completed');
  const tunedOnline = await inferInPage(page, { ...options, model: tuned.modelId });

  // The service worker has stored the whole app once it is active; the indicator says so.
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
  await expect(page.getByTestId('offline-status')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('offline-status')).toHaveText('Offline ready');
  const precached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) for (const r of await (await caches.open(name)).keys()) urls.push(new URL(r.url).pathname);
    return urls;
  });
  // ONNX Runtime: the asyncify build (WebGPU) and the plain build (wasm, which this journey runs offline).
  for (const pattern of [/^\/index\.html/, /infer\.worker-.*\.js/, /ort-wasm-simd-threaded\.asyncify-.*\.wasm/, /ort-wasm-simd-threaded-[^/.]*\.wasm/, /ort-wasm-simd-threaded-[^/.]*\.mjs/, /parquet_wasm_bg-.*\.wasm/, /\/models\/bert-tiny-sentiment\/resolve\/main\/onnx\/model\.onnx/]) {
    expect(precached.some((u) => pattern.test(u)), `cached: ${pattern}`).toBe(true);
  }

  // Second visit, no network.
  await context.setOffline(true);
  offlineNow = true;
  await page.reload();
  await openApp(page);
  expect(await page.evaluate(() => navigator.onLine)).toBe(false);
  expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
  // COOP/COEP survive the service worker: still cross-origin isolated, so ORT's WASM threads still run.
  expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
  await expect(page.getByTestId('offline-status')).toHaveText('Offline: running from this browser');
  await expect(page.getByTestId(`source-stats-${SOURCE}`)).toContainText(`${ref.texts.length} rows`);
  const labels = await page.evaluate(async (s) => [...(await window.jammi!.getSource(s)).getChild('sentiment')!].map((v) => v ?? null), SOURCE);
  expect(labels).toEqual(ref.labels.map((l, i) => (ref.texts[i].trim() ? l : null)));

  const offline = await inferInPage(page, options);
  checkAgainstReference(offline, MODEL, SOURCE);
  expect(offline.columns.label).toEqual(online.columns.label);
  expect(offline.columns.all_scores_json).toEqual(online.columns.all_scores_json);
  expect(offline.metadata['jammi.wasm_threads']).toBe(online.metadata['jammi.wasm_threads']);
  console.log(`offline: ${offline.columns.label.length} rows, wasm threads ${offline.metadata['jammi.wasm_threads']}`);

  // The fine-tuned adapter (kept in OPFS) classifies offline too, on its cached base model.
  expect((await page.evaluate(() => window.jammi!.listFineTuned())).map((m) => m.modelId)).toContain(tuned.modelId);
  const tunedOffline = await inferInPage(page, { ...options, model: tuned.modelId });
  expect(tunedOffline.columns.label).toEqual(tunedOnline.columns.label);
  expect(tunedOffline.columns.all_scores_json).toEqual(tunedOnline.columns.all_scores_json);

  // Parquet export works offline (its lazily loaded writer is precached) and holds what the Arrow export holds.
  // Until then no page asked for the writer: the first page load does not pay for it.
  expect(pageRequests.filter((u) => /parquet/.test(u))).toEqual([]);
  await page.getByRole('tab', { name: 'Export' }).click();
  const [parquetDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Parquet' }).click()]);
  expect(parquetDownload.suggestedFilename()).toBe(`${SOURCE}.parquet`);
  expect(pageRequests.some((u) => /parquet_wasm_bg-.*\.wasm$/.test(u))).toBe(true);
  const [arrowDownload] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export Arrow' }).click()]);
  const fromParquet = tableFromIPC(readParquet(new Uint8Array(await readDownload(parquetDownload))).intoIPCStream());
  const fromArrow = tableFromIPC(await readDownload(arrowDownload));
  expect(fromParquet.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(fromArrow.schema.fields.map((f) => `${f.name}:${f.type}`));
  expect(fromParquet.toArray().map((r) => r.toJSON())).toEqual(fromArrow.toArray().map((r) => r.toJSON()));

  // Nothing, online or offline, went to another origin; offline, every answer came from the service worker.
  const foreign = requests.filter((u) => /^https?:/.test(u) && new URL(u).origin !== origin);
  expect(foreign).toEqual([]);
  expect(offlineAnswers.length).toBeGreaterThan(5);
  expect(offlineAnswers.filter((a) => !a.fromServiceWorker)).toEqual([]);
  // The model files were asked of the network and refused: they came from Cache Storage.
  expect(offlineFailures).toContain(`/models/${MODEL}/resolve/main/onnx/model.onnx`);
});

test('a new version waits for a click, and never reloads a tab in the middle of a fine-tune', async ({ context, page }) => {
  test.setTimeout(300_000);
  const swFile = 'dist/sw.js';
  const original = fs.readFileSync(swFile, 'utf8');
  type Win = { job?: { status: string; cancel(): void; wait(): Promise<unknown> }; marker?: boolean };
  const mark = (p: typeof page) => p.evaluate(() => ((window as unknown as Win).marker = true));
  const marked = (p: typeof page) => p.evaluate(() => (window as unknown as Win).marker ?? false).catch(() => false);
  // Reloaded: a new document (no marker) whose app is up. NOTE: an evaluate that fails mid-navigation is "not yet",
  // not "reloaded"; a goto now would race the reload still under way.
  const reloaded = (p: typeof page) => p.evaluate(() => !(window as unknown as Win).marker && Boolean(window.jammi)).catch(() => false);
  try {
    await openApp(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    await page.reload();
    await openApp(page);
    expect(await page.evaluate(() => !!navigator.serviceWorker.controller)).toBe(true);
    await expect(page.getByTestId('update-available')).toHaveCount(0);
    const idle = await context.newPage(); // a second tab of the app, doing nothing
    await openApp(idle);

    // A long fine-tune is running in the first tab when the new version arrives.
    await page.evaluate(async (csv) => {
      await window.jammi!.addSource('train', csv);
      (window as unknown as Win).job = await window.jammi!.fineTune({
        source: 'train',
        baseModel: 'bert-tiny-sentiment',
        columns: { text: 'text', label: 'label' },
        backend: 'wasm',
        config: { epochs: 1000, batch_size: 2, validation_fraction: 0 },
      });
      // 50,000 steps: minutes even now that a bert-tiny step takes ~2 ms (500 epochs of 4 rows ended within the test)
    }, ['text,label', ...Array.from({ length: 100 }, (_, i) => (i % 2 ? `awful film ${i},negative` : `great film ${i},positive`))].join('\n') + '\n');
    await Promise.all([mark(page), mark(idle)]);

    // "Deploy" a new service worker (any byte change is a new version) and let the tabs find it.
    fs.writeFileSync(swFile, `${original}\n// a new version ${Date.now()}\n`);
    await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())!.update());
    const busyUpdate = page.getByTestId('update-available');
    await expect(busyUpdate).toContainText('A new version is ready.');
    await expect(busyUpdate.getByRole('button', { name: 'Reload to update' })).toBeDisabled();
    await expect(busyUpdate).toContainText('after the current run finishes');
    expect(await page.evaluate(async () => !!(await navigator.serviceWorker.getRegistration())!.waiting)).toBe(true);

    // The idle tab applies it: it reloads under the new worker; the busy tab keeps running, unreloaded.
    const idleUpdate = idle.getByTestId('update-available');
    await expect(idleUpdate.getByRole('button', { name: 'Reload to update' })).toBeEnabled();
    await idleUpdate.getByRole('button', { name: 'Reload to update' }).click();
    await expect.poll(() => reloaded(idle)).toBe(true);
    await expect(idle.getByTestId('update-available')).toHaveCount(0);
    await expect(busyUpdate).toContainText('A new version was applied in another tab.');
    expect(await marked(page)).toBe(true);
    expect(await page.evaluate(() => (window as unknown as Win).job!.status)).toMatch(/queued|running/);
    await expect(busyUpdate.getByRole('button', { name: 'Reload to update' })).toBeDisabled();

    // The run ends (cancelled here); now the busy tab's own click reloads it.
    await page.evaluate(async () => {
      const job = (window as unknown as Win).job!;
      job.cancel();
      await job.wait().catch(() => undefined);
    });
    await expect(busyUpdate.getByRole('button', { name: 'Reload to update' })).toBeEnabled();
    expect(await marked(page)).toBe(true);
    await busyUpdate.getByRole('button', { name: 'Reload to update' }).click();
    await expect.poll(() => reloaded(page)).toBe(true);
    expect(await page.evaluate(async () => !(await navigator.serviceWorker.getRegistration())!.waiting && !!navigator.serviceWorker.controller)).toBe(true);
    await expect(page.getByTestId('update-available')).toHaveCount(0);
    await expect(page.getByTestId('offline-status')).toHaveText('Offline ready');
  } finally {
    fs.writeFileSync(swFile, original);
  }
});

test('a model used once from a Hub-layout host classifies offline on the next visit', async ({ context, page }) => {
  // A Hub-layout host over ../shared/models, with CORS, on another port (so another origin).
  const hub = await hubServer();
  const served = hub.requests;
  const host = hub.host;
  try {
    await openApp(page);
    await page.evaluate((csv) => window.jammi!.addSource('hub-reviews', csv), textsCsv(reference(MODEL).texts));
    const options = { source: 'hub-reviews', model: MODEL, columns: ['text'], key: 'id', backend: 'wasm', modelSource: 'hub', hubHost: host };
    const online = await inferInPage(page, options);
    checkAgainstReference(online, MODEL, 'hub-reviews');
    expect(served).toContain(`/${MODEL}/resolve/main/onnx/model.onnx`);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));

    await context.setOffline(true);
    const before = served.length;
    await page.reload();
    await openApp(page);
    expect(await page.evaluate(() => navigator.onLine)).toBe(false);
    const offline = await inferInPage(page, options);
    checkAgainstReference(offline, MODEL, 'hub-reviews');
    expect(offline.columns.label).toEqual(online.columns.label);
    expect(served.length).toBe(before); // nothing reached the host
  } finally {
    await hub.stop();
  }
});

test('installable: Chromium finds nothing missing in the manifest, icons and service worker', async ({ playwright, baseURL }) => {
  // NOTE: Playwright's own contexts are incognito, where Chromium never offers to install; a real profile is needed.
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'jammi-profile-'));
  const context = await playwright.chromium.launchPersistentContext(profile, { executablePath: chromiumPath(), args: chromiumArgs });
  try {
    const page = await context.newPage();
    await openApp(page);
    await page.evaluate(() => navigator.serviceWorker.ready.then(() => undefined));
    const cdp = await context.newCDPSession(page);
    const manifest = (await cdp.send('Page.getAppManifest')) as { url: string; errors: unknown[] };
    expect(manifest.url).toBe(new URL('/manifest.webmanifest', baseURL).href);
    expect(manifest.errors).toEqual([]);
    expect(((await cdp.send('Page.getInstallabilityErrors')) as { installabilityErrors: unknown[] }).installabilityErrors).toEqual([]);
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
});

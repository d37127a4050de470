import { expect, test, type Page } from '@playwright/test';
import { hubServer, openApp } from './helpers';
import { checkAgainstReference, inferError, inferInPage, reference, textsCsv } from './infer-helpers';

const MODEL = 'bert-tiny-sentiment';

async function addReferenceSource(page: Page, name: string, model = MODEL) {
  await page.evaluate(([n, csv]) => window.jammi!.addSource(n, csv), [name, textsCsv(reference(model).texts)]);
}

test('Hub path: a model fetched from a Hub-layout host is cached and still works with the host gone', async ({ page }) => {
  const hub = await hubServer();
  await openApp(page);
  await addReferenceSource(page, 'hub-ref');
  const options = { source: 'hub-ref', model: MODEL, columns: ['text'], key: 'id', backend: 'wasm', modelSource: 'hub', hubHost: hub.host };
  const first = await inferInPage(page, options);
  checkAgainstReference(first, MODEL, 'hub-ref');
  expect(hub.requests).toContain(`/${MODEL}/resolve/main/onnx/model.onnx`);
  expect(hub.requests).toContain(`/${MODEL}/resolve/main/tokenizer.json`);
  await hub.stop();

  // A fresh page (and a fresh inference worker): only Cache Storage can supply the model now.
  await page.reload();
  await openApp(page);
  const cached = await page.evaluate(async () => (await (await caches.open('jammi-models-v1')).keys()).map((r) => r.url));
  expect(cached).toContain(`${hub.host}/${MODEL}/resolve/main/onnx/model.onnx`);
  if (!(await page.evaluate(() => window.jammi!.listSources())).some((s) => s.name === 'hub-ref')) await addReferenceSource(page, 'hub-ref');
  const requestsBefore = hub.requests.length;
  const second = await inferInPage(page, options);
  checkAgainstReference(second, MODEL, 'hub-ref');
  expect(hub.requests.length).toBe(requestsBefore);
});

test('local folder: a model given as files in the page classifies like the served one', async ({ page }) => {
  await openApp(page);
  await addReferenceSource(page, 'local-ref', 'roberta-tiny-spam');
  const result = await page.evaluate(async () => {
    const files: Record<string, Blob> = {};
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      files[f] = await (await fetch(`/models/roberta-tiny-spam/resolve/main/${f}`)).blob();
    }
    const table = await window.jammi!.infer({ source: 'local-ref', model: { name: 'my-roberta', files }, columns: ['text'], key: 'id', backend: 'wasm' });
    const columns: Record<string, unknown[]> = {};
    for (const f of table.schema.fields) columns[f.name] = [...table.getChild(f.name)!];
    return { fields: [], metadata: Object.fromEntries(table.schema.metadata), columns };
  });
  checkAgainstReference(result, 'roberta-tiny-spam', 'local-ref', 1e-4, 'my-roberta');
});

test('text: chosen columns joined with one space, null cells skipped, numbers as text, blank rows are error rows', async ({ page }) => {
  await openApp(page);
  const rows = [
    ['k1', 'great film', 'loved it', '7'],
    ['k2', '', 'terrible', '3'],
    ['k3', '   ', '  ', ''],
    ['k4', '', '', ''],
  ];
  const csv = ['key,title,body,stars', ...rows.map((r) => r.map((c) => `"${c}"`).join(','))].join('\n') + '\n';
  const joined = ['id,text', '0,"great film loved it 7"', '1,"terrible 3"'].join('\n') + '\n';
  await page.evaluate(([a, b]) => Promise.all([window.jammi!.addSource('multi', a), window.jammi!.addSource('joined', b)]), [csv, joined]);
  const multi = await inferInPage(page, { source: 'multi', model: MODEL, columns: ['title', 'body', 'stars'], key: 'key', backend: 'wasm' });
  const single = await inferInPage(page, { source: 'joined', model: MODEL, columns: ['text'], key: 'id', backend: 'wasm' });
  expect(multi.columns._row_id).toEqual(['k1', 'k2', 'k3', 'k4']);
  expect(multi.columns.all_scores_json.slice(0, 2)).toEqual(single.columns.all_scores_json);
  expect(multi.columns._status).toEqual(['ok', 'ok', 'error', 'error']);
  expect(multi.columns._error).toEqual([null, null, 'Empty or null text input', 'Empty or null text input']);
  expect(multi.columns.label.slice(2)).toEqual([null, null]);
  expect(multi.columns.confidence.slice(2)).toEqual([null, null]);
  expect(multi.columns._latency_ms.slice(2)).toEqual([0, 0]);
});

test('whole-call errors name what is wrong', async ({ page }) => {
  await openApp(page);
  await addReferenceSource(page, 'e');
  const base = { source: 'e', model: MODEL, columns: ['text'], key: 'id', backend: 'wasm' };
  const cases: [Record<string, unknown>, string][] = [
    [{ ...base, source: 'nope' }, 'Unknown source "nope". Loaded sources: e.'],
    [{ ...base, columns: ['body'] }, 'Unknown column "body" in source "e". Available columns: id, text.'],
    [{ ...base, key: 'row' }, 'Unknown key column "row" in source "e". Available columns: id, text.'],
    [{ ...base, model: 'bert-tiny-embed' }, 'No id2label mapping for classification model bert-tiny-embed'],
  ];
  for (const [options, message] of cases) expect(await inferError(page, options)).toEqual({ name: 'JammiError', message });

  const fp16 = await inferError(page, { ...base, dtype: 'fp16' });
  expect(fp16.name).toBe('JammiError');
  expect(fp16.message).toMatch(/^Model bert-tiny-sentiment: onnx\/model_fp16\.onnx is missing/);
  const missing = await inferError(page, { ...base, model: 'no-such-model', modelSource: 'served' });
  expect(missing.message).toMatch(/^Model no-such-model: config\.json is missing/);

  // Local folders: a missing ONNX file, and a tokenizer whose ids do not fit the model's embedding table.
  const local = await page.evaluate(async (o) => {
    const files: Record<string, Blob> = {};
    for (const f of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      files[f] = await (await fetch(`/models/bert-tiny-sentiment/resolve/main/${f}`)).blob();
    }
    const run = async (model: unknown) => {
      try {
        await window.jammi!.infer({ ...(o as object), model } as never);
        return 'resolved';
      } catch (e) {
        return `${(e as Error).name}: ${(e as Error).message}`;
      }
    };
    const { ['onnx/model.onnx']: _, ...noOnnx } = files;
    const config = JSON.parse(await files['config.json'].text());
    const smallVocab = { ...files, 'config.json': new Blob([JSON.stringify({ ...config, vocab_size: 1000 })]) };
    return [await run({ name: 'no-onnx', files: noOnnx }), await run({ name: 'small-vocab', files: smallVocab })];
  }, base);
  expect(local[0]).toBe('JammiError: Model no-onnx: onnx/model.onnx is missing: not in the folder "no-onnx"');
  expect(local[1]).toBe(
    "JammiError: Tokenizer/model input mismatch for small-vocab: the tokenizer has 30522 tokens but the model's vocab_size is 1000.",
  );
});

test('cancel: the signal stops the run within a batch and rejects with AbortError', async ({ page }) => {
  await openApp(page);
  const texts = Array.from({ length: 400 }, (_, i) => `row ${i} ${'some words '.repeat(1 + (i % 7))}`);
  await page.evaluate((csv) => window.jammi!.addSource('many', csv), textsCsv(texts));
  const outcome = await page.evaluate(async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    try {
      await window.jammi!.infer({
        source: 'many',
        model: 'bert-tiny-sentiment',
        columns: ['text'],
        backend: 'wasm',
        batchSize: 8,
        signal: controller.signal,
        onProgress: (p) => {
          seen.push(p.rows);
          if (p.rows >= 16) controller.abort();
        },
      });
      return { name: 'none', seen };
    } catch (e) {
      return { name: (e as Error).name, seen };
    }
  });
  expect(outcome.name).toBe('AbortError');
  expect(Math.max(...outcome.seen)).toBe(16);
});

test('evaluate joins on the key, reports error rows apart', async ({ page }) => {
  await openApp(page);
  await addReferenceSource(page, 'ev');
  const ref = reference(MODEL);
  // Gold = the reference labels with rows 0 and 2 flipped, keyed by id in reverse order (the join is by key).
  const gold = ref.labels.map((l, i) => (i === 0 || i === 2 ? (l === 'positive' ? 'negative' : 'positive') : l));
  const goldCsv = ['id,label', ...gold.map((l, i) => `${i},${l}`).reverse()].join('\n') + '\n';
  const evaluation = await page.evaluate(async (csv) => {
    await window.jammi!.addSource('gold', csv);
    const results = await window.jammi!.infer({ source: 'ev', model: 'bert-tiny-sentiment', columns: ['text'], key: 'id', backend: 'wasm' });
    return window.jammi!.evaluate({ results, gold: 'gold', labelColumn: 'label', key: 'id' });
  }, goldCsv);
  // Independent count over the ok rows (all but the empty text, row 5), predictions = reference labels.
  const ok = ref.texts.map((_, i) => i).filter((i) => ref.texts[i] !== '');
  const labels = ['negative', 'positive'];
  const matrix = labels.map((g) => labels.map((p) => ok.filter((i) => gold[i] === g && ref.labels[i] === p).length));
  expect(evaluation.errors).toBe(1);
  expect(evaluation.unmatched).toBe(0);
  expect(evaluation.count).toBe(ok.length);
  expect(evaluation.confusion).toEqual({ labels, matrix });
  expect(evaluation.accuracy).toBeCloseTo((matrix[0][0] + matrix[1][1]) / ok.length, 12);
  const f1 = labels.map((_, k) => {
    const tp = matrix[k][k];
    const p = tp / (matrix[0][k] + matrix[1][k]);
    const r = tp / (matrix[k][0] + matrix[k][1]);
    return (2 * p * r) / (p + r);
  });
  expect(evaluation.macroF1).toBeCloseTo((f1[0] + f1[1]) / 2, 12);
});

test('backend auto never picks a software adapter: on SwiftShader it runs wasm and says why; wasm runs threaded in the isolated page', async ({ page }) => {
  await openApp(page);
  await addReferenceSource(page, 'auto');
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  // Chromium here has one WebGPU adapter, SwiftShader (CPU emulation): forcing webgpu uses it; auto must not.
  const adapter = await page.evaluate(async () => {
    const a = await navigator.gpu?.requestAdapter();
    return a ? `${a.info.vendor} ${a.info.architecture} ${a.info.description}` : null;
  });
  expect(adapter ?? '').toMatch(/swiftshader/i);
  const auto = await inferInPage(page, { source: 'auto', model: MODEL, columns: ['text'], key: 'id' });
  expect(auto.metadata['jammi.backend']).toBe('wasm');
  expect(auto.metadata['jammi.backend_reason']).toMatch(/^auto: the only WebGPU adapter is a software one \(.*swiftshader.*\)/i);
  checkAgainstReference(auto, MODEL, 'auto');
  const wasm = await inferInPage(page, { source: 'auto', model: MODEL, columns: ['text'], key: 'id', backend: 'wasm' });
  expect(Number(wasm.metadata['jammi.wasm_threads'])).toBeGreaterThan(1);
});

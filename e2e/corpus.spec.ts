import { expect, test, type Page } from '@playwright/test';
import { openApp, smsRows } from './helpers';
import { corpus, caseCount, csvBytes, derivedAdapter, derivedModel, trainingCsv, validAdapterZip, type Case } from './corpus/derive';
import { watchCsp } from './csp';

/**
 * The bad-input corpus (e2e/corpus/cases.json) fed to the app through `window.jammi`, after a valid source, a model
 * and an adapter are loaded: every case must get its own specific error (or, where the input is acceptable, the
 * documented outcome), and afterwards the source, the model and the adapter are still there and give the same
 * results. Case bytes are derived in Node and reach the page from a routed same-origin URL.
 */

const SOURCE_ROWS = 40;

/** What the page gets back from one case: an error message, or what was accepted. */
type Outcome = { error: string } | { ok: Record<string, unknown> };

async function serve(page: Page, files: Map<string, Uint8Array>): Promise<void> {
  await page.route('**/__corpus__/**', (route) => {
    const key = decodeURIComponent(new URL(route.request().url()).pathname.slice('/__corpus__/'.length));
    const body = files.get(key);
    if (!body) return route.fulfill({ status: 404, body: 'not in the corpus' });
    return route.fulfill({ status: 200, body: Buffer.from(body.buffer, body.byteOffset, body.byteLength), contentType: 'application/octet-stream' });
  });
}

function check(c: Case, out: Outcome): void {
  const where = `corpus case ${c.id}`;
  if (c.error) {
    expect('error' in out ? out.error : `accepted: ${JSON.stringify(out)}`, where).toMatch(new RegExp(c.error, 'is'));
    return;
  }
  expect('error' in out ? out.error : null, where).toBeNull();
}

test(`bad-input corpus: ${caseCount} cases, each its specific error, nothing loaded before is lost`, async ({ page }) => {
  test.setTimeout(900_000);
  const csp = await watchCsp(page);
  const files = new Map<string, Uint8Array>();
  for (const c of corpus.csv) files.set(`csv/${c.id}`, csvBytes(c));
  for (const c of corpus.model) if (c.derive) for (const [f, b] of Object.entries(derivedModel(c))) files.set(`model/${c.id}/${f}`, b);
  const adapterNames: Record<string, string[]> = {};
  for (const c of corpus.adapter) {
    const a = derivedAdapter(c);
    if (a instanceof Uint8Array) files.set(`adapter/${c.id}/adapter.zip`, a);
    else for (const [f, b] of Object.entries(a)) files.set(`adapter/${c.id}/${f}`, b);
    adapterNames[c.id] = a instanceof Uint8Array ? ['adapter.zip'] : Object.keys(a);
  }
  files.set('adapter/valid/adapter.zip', validAdapterZip());
  await serve(page, files);
  await openApp(page);

  // 1. What must survive: a source, a model's results on it, an adapter and its results.
  const before = await page.evaluate(async ({ csv }) => {
    const jammi = window.jammi!;
    await jammi.addSource('kept', csv);
    const zip = await (await fetch('/__corpus__/adapter/valid/adapter.zip')).blob();
    const adapter = await jammi.loadAdapter(zip);
    const labels = async (model: string) => [...(await jammi.infer({ source: 'kept', model, columns: ['text'], key: 'id', backend: 'wasm' })).getChild('label')!];
    return { adapter, model: await labels('bert-tiny-sentiment'), adapted: await labels(adapter), rows: (await jammi.getSource('kept')).numRows };
  }, { csv: smsRows(SOURCE_ROWS) });
  expect(before.rows).toBe(SOURCE_ROWS);
  expect(before.adapted.length).toBe(SOURCE_ROWS);
  expect(before.adapted.every((l) => l === 'calm' || l === 'excited')).toBe(true);

  // 2. CSV.
  for (const c of corpus.csv) {
    const out: Outcome = await page.evaluate(async ({ id, formula }) => {
      const jammi = window.jammi!;
      const blob = await (await fetch(`/__corpus__/csv/${id}`)).blob();
      try {
        const info = await jammi.addSource(`csv-${id}`, blob);
        const table = await jammi.getSource(`csv-${id}`);
        const text = table.getChild('text');
        const exported = formula ? await (await jammi.export(`csv-${id}`, 'csv')).text() : null;
        await jammi.removeSource(`csv-${id}`);
        return { ok: { rows: info.rows, warnings: info.warnings, text: text ? [...text] : null, exported } };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }, { id: c.id, formula: !!c.formula });
    check(c, out);
    if ('ok' in out) {
      expect(out.ok.rows, c.id).toBe(c.rows);
      if (c.warning) expect((out.ok.warnings as string[]).join('\n'), c.id).toMatch(new RegExp(c.warning, 'is'));
      if (c.cells?.text) expect(out.ok.text, c.id).toEqual(c.cells.text);
      if (c.formula) for (const cell of c.cells!.text) expect(out.ok.exported as string, c.id).toContain(`"'${cell.replace(/"/g, '""')}"`);
    } else expect(out.error, c.id).toMatch(/^JammiError: Could not load "csv-/);
  }

  // 3. Model folders (picked folders, as a user would drop them) and unsafe Hub ids.
  for (const c of corpus.model) {
    const names = [...files.keys()].filter((k) => k.startsWith(`model/${c.id}/`)).map((k) => k.slice(`model/${c.id}/`.length));
    const out: Outcome = await page.evaluate(async ({ id, names, engine, hubId }) => {
      const jammi = window.jammi!;
      const model = hubId ?? {
        name: id,
        files: Object.fromEntries(await Promise.all(names.map(async (n) => [n, await (await fetch(`/__corpus__/model/${id}/${n}`)).blob()] as const))),
      };
      try {
        await jammi.infer({ source: 'kept', model, columns: ['text'], backend: 'wasm', engine, modelSource: hubId ? 'hub' : undefined });
        return { ok: {} };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }, { id: c.id, names, engine: c.engine ?? 'onnx', hubId: c.hubId ?? null });
    check(c, out);
    expect('error' in out && out.error, c.id).toMatch(/^JammiError: /);
  }

  // 4. Adapters.
  for (const c of corpus.adapter) {
    const out: Outcome = await page.evaluate(async ({ id, names, baseModel }) => {
      const jammi = window.jammi!;
      const blobs = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await (await fetch(`/__corpus__/adapter/${id}/${n}`)).blob()] as const)));
      try {
        await jammi.loadAdapter(names.length === 1 && names[0] === 'adapter.zip' ? blobs['adapter.zip'] : blobs, baseModel ? { baseModel } : {});
        return { ok: {} };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}` };
      }
    }, { id: c.id, names: adapterNames[c.id], baseModel: c.baseModel ?? null });
    check(c, out);
    expect('error' in out && out.error, c.id).toMatch(/^JammiError: /);
  }

  // 5. Training data: refused before any work, or trained (a head on frozen embeddings, one epoch).
  for (const c of corpus.training) {
    const out: Outcome = await page.evaluate(async ({ id, csv }) => {
      const jammi = window.jammi!;
      await jammi.addSource(`train-${id}`, csv);
      try {
        const job = await jammi.fineTune({ source: `train-${id}`, baseModel: 'bert-tiny-embed', columns: { text: 'text', label: 'label' }, target: 'head', backend: 'wasm', config: { epochs: 1 } });
        const report = await job.wait();
        await jammi.removeFineTuned(job.modelId);
        return { ok: { status: report.status, labels: report.labels, warnings: report.warnings } };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}` };
      } finally {
        await jammi.removeSource(`train-${id}`);
      }
    }, { id: c.id, csv: trainingCsv(c) });
    check(c, out);
    if ('ok' in out) {
      expect(out.ok.status, c.id).toBe('completed');
      if (c.labels) expect(out.ok.labels, c.id).toEqual(c.labels);
      if (c.warning) expect((out.ok.warnings as string[]).join('\n'), c.id).toMatch(new RegExp(c.warning, 'is'));
    }
  }

  // 6. Nothing lost: the same source, model and adapter, with the same results; no failed case left anything behind.
  const after = await page.evaluate(async ({ adapter }) => {
    const jammi = window.jammi!;
    const labels = async (model: string) => [...(await jammi.infer({ source: 'kept', model, columns: ['text'], key: 'id', backend: 'wasm' })).getChild('label')!];
    return {
      sources: (await jammi.listSources()).map((s) => s.name),
      fineTuned: (await jammi.listFineTuned()).map((m) => m.modelId),
      rows: (await jammi.getSource('kept')).numRows,
      model: await labels('bert-tiny-sentiment'),
      adapted: await labels(adapter),
    };
  }, { adapter: before.adapter });
  expect(after.sources).toEqual(['kept']);
  expect(after.fineTuned).toEqual([before.adapter]);
  expect(after.rows).toBe(before.rows);
  expect(after.model).toEqual(before.model);
  expect(after.adapted).toEqual(before.adapted);
  expect(await csp.violations()).toEqual([]);
});

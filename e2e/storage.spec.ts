import { expect, test } from '@playwright/test';
import { openApp } from './helpers';
import { validAdapterZip } from './corpus/derive';

/**
 * OPFS under a full quota, in Chromium's real OPFS: writes are made to fail (QuotaExceededError from every
 * FileSystemWritableFileStream.write in the page) after a first save; the call says so clearly, and after a reload
 * what was saved before is intact. (The source table is written by the ingest worker; its path is the same
 * writeAtomic, tested with an injected failure in src/data/opfs.test.ts. Labels go to the label log, written by its
 * own worker with sync access handles: not reached by this injection.)
 */
test('a quota error while saving an adapter: a clear message, nothing saved before is lost', async ({ page }) => {
  test.setTimeout(180_000);
  await page.addInitScript(() => {
    const proto = FileSystemWritableFileStream.prototype;
    const write = proto.write;
    proto.write = function (this: FileSystemWritableFileStream, ...args: Parameters<typeof write>) {
      if (sessionStorage.getItem('failWrites') === '1') return Promise.reject(new DOMException('The quota has been exceeded.', 'QuotaExceededError'));
      return write.apply(this, args);
    } as typeof write;
  });
  await page.route('**/__corpus__/valid.zip', (r) => r.fulfill({ body: Buffer.from(validAdapterZip()) }));
  await openApp(page);
  const first = await page.evaluate(async () => {
    const jammi = window.jammi!;
    await jammi.addSource('s', 'id,text\n1,a\n2,b\n3,c\n');
    await jammi.setLabels('s', 'label', { 0: 'pos', 1: 'neg' });
    const zip = await (await fetch('/__corpus__/valid.zip')).blob();
    const kept = await jammi.loadAdapter(zip);
    sessionStorage.setItem('failWrites', '1');
    const lost = await jammi.loadAdapter(zip);
    const notSaved = (await jammi.listFineTuned()).find((m) => m.modelId === lost)?.notSaved ?? null;
    sessionStorage.removeItem('failWrites');
    return { kept, lost, notSaved };
  });
  expect(first.notSaved).toMatch(/^Not saved for the next visit: Not enough storage space to save the fine-tuned model /);

  await page.reload();
  await openApp(page);
  const after = await page.evaluate(async () => {
    const jammi = window.jammi!;
    const root = await navigator.storage.getDirectory();
    const names: string[] = [];
    for await (const dir of ['sources', 'adapters']) {
      for await (const k of ((await root.getDirectoryHandle(dir)) as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(`${dir}/${k}`);
    }
    return {
      labels: [...(await jammi.getSource('s')).getChild('label')!],
      models: (await jammi.listFineTuned()).map((m) => m.modelId),
      names,
    };
  });
  expect(after.labels).toEqual(['pos', 'neg', null]); // the labels saved before, whole
  expect(after.models).toEqual([first.kept]); // the adapter saved before; not the one that failed
  expect(after.names.filter((n) => n.includes('.tmp-'))).toEqual([]);
});

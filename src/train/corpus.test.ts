/**
 * The bad-input corpus (e2e/corpus/cases.json) run in Node against the layers that need no browser: CSV ingest and
 * export, training-data checks, adapter zip and file reading. e2e/corpus.spec.ts runs every case in the app.
 */
import { describe, expect, it } from 'vitest';
import { corpus, csvBytes, derivedAdapter, modelFolder, trainingCsv, type Case } from '../../e2e/corpus/derive';
import { parseSafetensors } from '../nn/safetensors';
import { checkEncoderAdapterFits } from '../nn/adapter-fit';
import { readAdapter, unzipAdapter, type EncoderAdapterConfig } from '../nn/adapter-files';
import { labelledExamples } from './data';
import { tableToCsv } from '../data/export';
import { ingestCsv } from '../data/ingest';

const re = (s: string) => new RegExp(s, 'is');

async function outcome<T>(f: () => Promise<T> | T): Promise<{ value?: T; error?: Error & { code?: string } }> {
  try {
    return { value: await f() };
  } catch (e) {
    return { error: e as Error & { code?: string } };
  }
}

describe('corpus: CSV', () => {
  it.each(corpus.csv.map((c) => [c.id, c] as [string, Case]))('%s', async (_, c) => {
    const { value, error } = await outcome(() => ingestCsv(new Blob([csvBytes(c) as Uint8Array<ArrayBuffer>])));
    if (c.error) {
      expect(error, `expected an error for ${c.id}`).toBeDefined();
      expect(error!.name).toBe('IngestError');
      expect(error!.code).toBe('bad_csv');
      expect((error as unknown as { reason: string }).reason).toBe(c.code);
      expect(error!.message).toMatch(re(c.error));
      return;
    }
    if (error) throw error;
    expect(value!.info.rows).toBe(c.rows);
    if (c.warning) expect(value!.info.warnings.join('\n')).toMatch(re(c.warning));
    for (const [col, cells] of Object.entries(c.cells ?? {})) expect([...value!.table.getChild(col)!]).toEqual(cells);
    if (c.formula) {
      // Kept as plain text on the way in; on the way out every formula-looking cell is prefixed with ' and quoted.
      const csv = await tableToCsv(value!.table).text();
      for (const cell of c.cells!.text) expect(csv).toContain(`"'${cell.replace(/"/g, '""')}"`);
      expect(csv.split('\r\n')[1]).toBe(`1,"'=cmd|' /C calc'!A0"`);
    }
  }, 120_000);
});

describe('corpus: training data', () => {
  it.each(corpus.training.map((c) => [c.id, c] as [string, Case]))('%s', async (_, c) => {
    const { table } = await ingestCsv(new Blob([trainingCsv(c)]));
    const { value, error } = await outcome(() => labelledExamples(table, 'text', 'label'));
    if (c.error) {
      expect(error?.name).toBe('DataError');
      expect(error!.message).toMatch(re(c.error));
      return;
    }
    if (error) throw error;
    if (c.labels) expect(value!.classes).toEqual(c.labels);
    if (c.warning) expect(value!.warnings.join('\n')).toMatch(re(c.warning));
  });
});

describe('corpus: adapters', () => {
  const base = parseSafetensors(modelFolder()['model.safetensors']).tensors;
  const distil = parseSafetensors(modelFolder('distilbert-tiny-emotion')['model.safetensors']).tensors;
  it.each(corpus.adapter.map((c) => [c.id, c] as [string, Case]))('%s', (_, c) => {
    const input = derivedAdapter(c);
    const { error } = (() => {
      try {
        const adapter = readAdapter(input instanceof Uint8Array ? unzipAdapter(input) : input);
        const name = c.baseModel ?? 'bert-tiny-sentiment';
        checkEncoderAdapterFits(adapter.config as EncoderAdapterConfig, adapter.tensors, c.baseModel ? distil : base, name);
        return { error: undefined };
      } catch (e) {
        return { error: e as Error };
      }
    })();
    expect(error, `expected an error for ${c.id}`).toBeDefined();
    expect(error!.message).toMatch(re(c.error!));
  });
});

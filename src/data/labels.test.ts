import { describe, expect, it } from 'vitest';
import { ingestCsv } from './ingest';
import { applyLabels } from './labels';

describe('labels given in the app', () => {
  it('create a text column, replace values, clear with null, and leave other columns alone', async () => {
    const { table } = await ingestCsv(new Blob(['id,text,n\n0,a,1\n1,b,2\n2,c,3\n']));
    const a = applyLabels(table, 'label', { 0: 'spam', 2: ' ham ' });
    expect(a.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Utf8', 'text:Utf8', 'n:Float64', 'label:Utf8']);
    expect([...a.getChild('label')!]).toEqual(['spam', null, 'ham']);
    const b = applyLabels(a, 'label', { 0: null, 1: 'ham' });
    expect([...b.getChild('label')!]).toEqual([null, 'ham', 'ham']);
    expect([...b.getChild('text')!]).toEqual(['a', 'b', 'c']);
  });

  it('refuse a numeric column and a row out of range', async () => {
    const { table } = await ingestCsv(new Blob(['id,n\n0,1\n1,2\n']));
    expect(() => applyLabels(table, 'n', { 0: 'x' })).toThrow('Column "n" holds Float64 values, not text labels');
    expect(() => applyLabels(table, 'label', { 5: 'x' })).toThrow('Row 5 is out of range (the source has 2 rows)');
  });
});

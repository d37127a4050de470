import { describe, expect, it } from 'vitest';
import { ingestCsv } from './ingest';
import { applyLabels, SourceLabels } from './labels';

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

describe('SourceLabels: labels edited in O(1) per row', () => {
  it('set returns what it replaced, builds the table on demand, and refuses bad edits without changing anything', async () => {
    const { table } = await ingestCsv(new Blob(['id,text,n\n0,a,1\n1,b,2\n2,c,3\n']));
    const labels = new SourceLabels(table);
    expect(labels.set('label', { 0: 'spam', 2: ' ham ' })).toEqual({ previous: { 0: null, 2: null }, next: { 0: 'spam', 2: 'ham' } });
    expect(labels.set('label', { 0: '', 1: 'ham' })).toEqual({ previous: { 0: 'spam', 1: null }, next: { 0: null, 1: 'ham' } });
    expect(() => labels.set('label', { 1: 'x', 9: 'y' })).toThrow('Row 9 is out of range (the source has 3 rows)');
    expect(() => labels.set('n', { 0: 'x' })).toThrow('Column "n" holds Float64 values, not text labels');
    expect(labels.get('label', 1)).toBe('ham');
    const t = labels.table();
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Utf8', 'text:Utf8', 'n:Float64', 'label:Utf8']);
    expect([...t.getChild('label')!]).toEqual([null, 'ham', 'ham']);
    expect(labels.table()).toBe(t); // cached until the next edit
    expect(labels.edits()).toEqual({ label: { 0: null, 1: 'ham', 2: 'ham' } });
    // An existing text column is edited in place and keeps the values it had.
    labels.set('text', { 0: 'z' });
    expect([...labels.table().getChild('text')!]).toEqual(['z', 'b', 'c']);
    expect(labels.addedColumns()).toEqual(['label']);
  });
});

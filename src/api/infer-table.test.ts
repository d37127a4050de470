import { Utf8, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { utf8Column } from './infer-table';

describe('utf8Column (the result table text columns)', () => {
  it('holds exactly what vectorFromArray would: values, nulls, empty strings, non-ASCII', () => {
    const values = ['positive', null, '', 'naïve — 東京 🙂', '{"negative":0.1,"positive":0.9}', null, '0'];
    const ours = utf8Column('x', values);
    const theirs = vectorFromArray(values, new Utf8()).data[0];
    expect(ours.length).toBe(theirs.length);
    expect(ours.nullCount).toBe(2);
    expect(ours.type.toString()).toBe(theirs.type.toString());
    const read = (d: typeof ours) => Array.from({ length: d.length }, (_, i) => (d.getValid(i) ? new TextDecoder().decode(d.values.subarray(d.valueOffsets[i], d.valueOffsets[i + 1])) : null));
    expect(read(ours)).toEqual(values);
    expect(read(theirs)).toEqual(values);
  });
});

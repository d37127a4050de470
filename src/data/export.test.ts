import { describe, expect, it } from 'vitest';
import { tableFromIPC } from 'apache-arrow';
import { parse } from 'csv-parse/sync';
import { ingestCsv } from './ingest';
import { tableToArrowFile, tableToCsv } from './export';

const source = 'id,text,score\n007,"a, ""quoted""\nnewline",1.5\n008,,-2\n009, spaced ,\n';

describe('export', () => {
  it('writes RFC 4180 CSV: header, CRLF, quoting, nulls as empty fields, numbers as written', async () => {
    const { table } = await ingestCsv(new Blob([source]));
    const csv = await tableToCsv(table, 2).text();
    expect(csv).toBe('id,text,score\r\n007,"a, ""quoted""\nnewline",1.5\r\n008,,-2\r\n009," spaced ",\r\n');
    expect(parse(csv)).toEqual(parse(source));
  });

  it('writes an Arrow IPC file that reads back to the same cells and types', async () => {
    const { table } = await ingestCsv(new Blob([source]));
    const bytes = new Uint8Array(await tableToArrowFile(table).arrayBuffer());
    expect(new TextDecoder().decode(bytes.slice(0, 6))).toBe('ARROW1'); // the file format's magic, not the stream's
    const back = tableFromIPC(bytes);
    expect(back.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['id:Utf8', 'text:Utf8', 'score:Float64']);
    expect(back.toArray().map((r) => r.toJSON())).toEqual([
      { id: '007', text: 'a, "quoted"\nnewline', score: 1.5 },
      { id: '008', text: null, score: -2 },
      { id: '009', text: ' spaced ', score: null },
    ]);
  });
});

/**
 * The Parquet export, read back two ways and compared with the Arrow table cell by cell: with parquet-wasm's reader
 * (always), and with pyarrow (an independent implementation) where a Python with pyarrow is found
 * (JAMMI_PYARROW_PYTHON, else python3, else /usr/bin/python3).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Field, Float32, Schema, Table, Utf8, tableFromIPC, vectorFromArray, makeData, RecordBatch, Struct } from 'apache-arrow';
import { readParquet } from 'parquet-wasm/esm';
import { ingestCsv } from './ingest';
import { loadParquetWasm, tableToParquet } from './parquet';

const SHARED = path.resolve(__dirname, '../../../shared');
const WASM = path.resolve(__dirname, '../../node_modules/parquet-wasm/esm/parquet_wasm_bg.wasm');

const pythons = [process.env.JAMMI_PYARROW_PYTHON, 'python3', '/usr/bin/python3'].filter((p): p is string => !!p);
const PYTHON = pythons.find((p) => spawnSync(p, ['-c', 'import pyarrow.parquet'], { encoding: 'utf8' }).status === 0);
if (!PYTHON) console.warn(`parquet.test: no Python with pyarrow among ${pythons.join(', ')}; the pyarrow reading is skipped`);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'jammi-parquet-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A table shaped like `infer`'s results: Utf8 and Float32 columns, nulls, non-ASCII text, schema metadata. */
function resultsLike(): Table {
  const labels = ['positive', null, 'négatif 😀', 'positive', ''];
  const confidence = [0.9876543, null, 0.5, 1 / 3, 0];
  const fields = [
    new Field('_row_id', new Utf8(), false),
    new Field('label', new Utf8(), true),
    new Field('confidence', new Float32(), true),
  ];
  const columns = [vectorFromArray(labels.map((_, i) => String(i)), new Utf8()), vectorFromArray(labels, new Utf8()), vectorFromArray(confidence, new Float32())];
  const schema = new Schema(fields, new Map([['jammi.model', 'bert-tiny-sentiment'], ['jammi.backend', 'wasm']]));
  const data = makeData({ type: new Struct(fields), length: labels.length, nullCount: 0, children: columns.map((c) => c.data[0]) });
  return new Table(schema, new RecordBatch(schema, data));
}

async function writeBoth(name: string, table: Table): Promise<{ bytes: Uint8Array; file: string }> {
  const bytes = new Uint8Array(await (await tableToParquet(table)).arrayBuffer());
  const file = path.join(tmp, `${name}.parquet`);
  writeFileSync(file, bytes);
  return { bytes, file };
}

/** Every cell of `got` equals `want` (nulls as nulls), with the same column names and types. */
function expectSameCells(got: { names: string[]; types: string[]; columns: unknown[][] }, want: Table) {
  expect(got.names).toEqual(want.schema.fields.map((f) => f.name));
  expect(got.types).toEqual(want.schema.fields.map((f) => String(f.type)));
  want.schema.fields.forEach((f, c) => {
    const col = want.getChildAt(c)!;
    expect(got.columns[c].length).toBe(want.numRows);
    for (let r = 0; r < want.numRows; r++) {
      const w = col.get(r) ?? null;
      if (got.columns[c][r] !== w) throw new Error(`cell (${r}, ${f.name}) reads ${JSON.stringify(got.columns[c][r])}, wrote ${JSON.stringify(w)}`);
    }
  });
}

function readWithParquetWasm(bytes: Uint8Array) {
  const back = tableFromIPC(readParquet(bytes).intoIPCStream());
  return {
    table: back,
    names: back.schema.fields.map((f) => f.name),
    types: back.schema.fields.map((f) => String(f.type)),
    columns: back.schema.fields.map((_, c) => [...back.getChildAt(c)!].map((v) => v ?? null)),
  };
}

/** pyarrow's reading: names, Arrow types spelt as apache-arrow spells them, cells, metadata. */
function readWithPyarrow(file: string) {
  const script = [
    'import json, sys, pyarrow.parquet as pq',
    't = pq.read_table(sys.argv[1])',
    "names = {'string': 'Utf8', 'large_string': 'Utf8', 'float': 'Float32', 'double': 'Float64'}",
    'meta = {k.decode(): v.decode() for k, v in (t.schema.metadata or {}).items() if not k.startswith(b"ARROW:")}',
    'print(json.dumps({"names": t.column_names, "types": [names.get(str(f.type), str(f.type)) for f in t.schema],',
    '  "columns": [t.column(i).to_pylist() for i in range(t.num_columns)], "metadata": meta, "rows": t.num_rows}))',
  ].join('\n');
  const run = spawnSync(PYTHON!, ['-c', script, file], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (run.status !== 0) throw new Error(`pyarrow could not read ${file}: ${run.stderr}`);
  return JSON.parse(run.stdout) as { names: string[]; types: string[]; columns: unknown[][]; metadata: Record<string, string>; rows: number };
}

describe('Parquet export (parquet-wasm)', async () => {
  await loadParquetWasm(readFileSync(WASM));
  const { table: sms } = await ingestCsv(new Blob([readFileSync(path.join(SHARED, 'datasets/sms-spam.csv'))]));
  const results = resultsLike();

  it('writes a Parquet file (PAR1 … PAR1) that parquet-wasm reads back cell for cell, metadata kept', async () => {
    for (const [name, table] of [['sms-spam', sms], ['results', results]] as const) {
      const { bytes } = await writeBoth(name, table);
      const magic = (a: Uint8Array) => new TextDecoder().decode(a);
      expect(magic(bytes.slice(0, 4))).toBe('PAR1');
      expect(magic(bytes.slice(-4))).toBe('PAR1');
      const back = readWithParquetWasm(bytes);
      expectSameCells(back, table);
      for (const [k, v] of table.schema.metadata) expect(back.table.schema.metadata.get(k)).toBe(v);
    }
    expect(sms.numRows).toBe(5574);
  });

  it.skipIf(!PYTHON)('is read by pyarrow (an independent reader) to the same cells, types and metadata', async () => {
    for (const [name, table] of [['sms-spam-py', sms], ['results-py', results]] as const) {
      const { file } = await writeBoth(name, table);
      const got = readWithPyarrow(file);
      expect(got.rows).toBe(table.numRows);
      expectSameCells(got, table);
      expect(got.metadata).toEqual(Object.fromEntries(table.schema.metadata));
    }
  });

  it('keeps Float32 values exactly (no widening error) and nulls distinct from empty strings', async () => {
    const { bytes } = await writeBoth('edge', results);
    const back = readWithParquetWasm(bytes);
    expect(back.columns[1]).toEqual(['positive', null, 'négatif 😀', 'positive', '']);
    expect(back.columns[2]).toEqual([...results.getChild('confidence')!].map((v) => v ?? null));
    expect(back.columns[2][3]).toBe(Math.fround(1 / 3));
  });
});

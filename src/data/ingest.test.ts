import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { ingestCsv, type IngestOptions } from './ingest';

const datasets = path.resolve(__dirname, '../../../shared/datasets');
const load = (text: string | Uint8Array, options: IngestOptions = {}) => ingestCsv(new Blob([text as Uint8Array<ArrayBuffer>]), options);
const rowsOf = async (text: string | Uint8Array, options?: IngestOptions) => (await load(text, options)).table.toArray().map((r) => r.toJSON());

describe('CSV dialect', () => {
  it('strips a UTF-8 BOM and reads CRLF and LF alike', async () => {
    const crlf = await rowsOf('\ufeffname,text\r\na,x\r\nb,y\r\n');
    const lf = await rowsOf('name,text\na,x\nb,y');
    expect(crlf).toEqual([{ name: 'a', text: 'x' }, { name: 'b', text: 'y' }]);
    expect(lf).toEqual(crlf);
  });

  it('reads quoted fields with commas, doubled quotes and newlines', async () => {
    expect(await rowsOf('a,b\n"x, y","he said ""hi"""\n"line1\nline2",z\n')).toEqual([
      { a: 'x, y', b: 'he said "hi"' },
      { a: 'line1\nline2', b: 'z' },
    ]);
  });

  it.each([
    [',', 'a,b\n1;2,3\n'],
    [';', 'a;b\n1,5;3\n'],
    ['\t', 'a\tb\n1,5\t3\n'],
  ])('sniffs the delimiter %j', async (delimiter, text) => {
    const { info, table } = await load(text);
    expect(info.delimiter).toBe(delimiter);
    expect(table.numCols).toBe(2);
  });

  it('keeps whitespace inside cells and makes empty cells null', async () => {
    expect(await rowsOf('a,b,c\n  x ,,\t\n')).toEqual([{ a: '  x ', b: null, c: '\t' }]);
  });

  it('cuts nothing when chunks split a multi-byte character, a quoted newline or a record', async () => {
    const text = 'id,text\n' + Array.from({ length: 300 }, (_, i) => `${i},"é ✓ 😀 ""${i}""\nsecond line, ${i}"`).join('\n') + '\n';
    const small = await load(text, { chunkBytes: 7 });
    const whole = await load(text);
    expect(small.table.numRows).toBe(300);
    expect(small.table.toArray().map((r) => r.toJSON())).toEqual(whole.table.toArray().map((r) => r.toJSON()));
    expect(small.table.getChild('text')!.get(299)).toBe('é ✓ 😀 "299"\nsecond line, 299');
  });
});

describe('type inference never loses information', () => {
  it('keeps leading zeros, id columns and non-canonical numbers as text', async () => {
    const { info, table } = await load('zip,id,user_id,amount,odd,ratio\n00501,1,7,10,1.0,0.5\n02134,2,8,-2.25,3,1e-7\n');
    expect(Object.fromEntries(info.columns.map((c) => [c.name, c.type]))).toEqual({
      zip: 'text', id: 'text', user_id: 'text', amount: 'number', odd: 'text', ratio: 'number',
    });
    expect(table.getChild('zip')!.toArray()).toEqual(['00501', '02134']);
    expect(table.getChild('odd')!.get(0)).toBe('1.0');
    expect(table.getChild('amount')!.toArray()).toEqual(new Float64Array([10, -2.25]));
  });

  it('does not make a column numeric because of empty cells, and keeps nulls in numeric columns', async () => {
    const { info, table } = await load('n,e\n1,\n,\n3,\n');
    expect(info.columns.map((c) => c.type)).toEqual(['number', 'text']);
    expect([...table.getChild('n')!]).toEqual([1, null, 3]);
  });

  it('lets the caller say an id column is numeric, and refuses a column that is not', async () => {
    const { table } = await load('id,x\n1,a\n2,b\n', { types: { id: 'number' } });
    expect([...table.getChild('id')!]).toEqual([1, 2]);
    await expect(load('id,x\n1,a\nz,b\n', { types: { x: 'number' } })).rejects.toThrow('Column "x" cannot be read as numbers');
  });

  it('keeps integers beyond 2^53 as text', async () => {
    const { info } = await load('big\n12345678901234567890\n');
    expect(info.columns[0].type).toBe('text');
  });
});

describe('encoding', () => {
  it('falls back to Windows-1252 with a warning when the file is not UTF-8', async () => {
    const bytes = new Uint8Array([...Buffer.from('name,city\n'), 0x4a, 0xe9, 0x72, 0xf4, 0x6d, 0x65, 0x2c, 0x93, 0x4e, 0x59, 0x94, 0x0a]);
    const { table, info } = await load(bytes);
    expect(info.encoding).toBe('windows-1252');
    expect(info.warnings[0]).toContain('not valid UTF-8');
    expect(table.toArray().map((r) => r.toJSON())).toEqual([{ name: 'Jérôme', city: '\u201cNY\u201d' }]);
  });
});

describe('malformed rows are reported by line, never silently', () => {
  const text = 'a,b,c\n1,2,3\n4,5\n"multi\nline",x,y\n6,7,8,9\n10,11,12,,\n';
  it('pads short rows, drops long ones, trims empty extras (default)', async () => {
    const { table, info } = await load(text);
    expect(info.badRows).toEqual([
      { line: 3, fields: 2, expected: 3, action: 'padded' },
      { line: 6, fields: 4, expected: 3, action: 'dropped' },
      { line: 7, fields: 5, expected: 3, action: 'trimmed' },
    ]);
    expect(info.badRowCount).toBe(3);
    expect(info.warnings.join(' ')).toContain('3 row(s) had the wrong number of fields (first at line 3)');
    expect(table.toArray().map((r) => r.toJSON())).toEqual([
      { a: '1', b: '2', c: '3' },
      { a: '4', b: '5', c: null },
      { a: 'multi\nline', b: 'x', c: 'y' },
      { a: '10', b: '11', c: '12' },
    ]);
  });

  it('drops both kinds when asked', async () => {
    const { table, info } = await load(text, { badRows: 'drop' });
    expect(info.badRows.map((r) => r.action)).toEqual(['dropped', 'dropped', 'trimmed']);
    expect(table.numRows).toBe(3);
  });

  it('names an unclosed quote', async () => {
    await expect(load('a,b\n1,"never closed\n2,3\n')).rejects.toThrow('A quoted field in the record that starts on line 2 is never closed');
  });
});

describe('bad files get specific errors', () => {
  it.each([
    ['an empty file', '', 'The file is empty'],
    ['only blank space', '\n \n', 'The file has no header row'],
    ['a header only', 'a,b\r\n', 'The file has a header row (a, b) but no data rows'],
    ['a duplicate column', 'a,b,b\n1,2,3\n', 'Duplicate column name "b" (columns 2 and 3)'],
    ['a binary file', new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 8, 0]), 'binary file'],
  ])('%s', async (_, input, message) => {
    await expect(load(input)).rejects.toThrow(message);
  });

  it('names an unnamed column and warns', async () => {
    const { info } = await load(',text\n0,hi\n');
    expect(info.columns[0].name).toBe('column_1');
    expect(info.warnings).toContain('Column 1 has no name; it is called "column_1".');
  });
});

describe('every shared dataset equals an independent parse', () => {
  for (const file of fs.existsSync(datasets) ? fs.readdirSync(datasets).filter((f) => f.endsWith('.csv')) : []) {
    it(file, async () => {
      const bytes = fs.readFileSync(path.join(datasets, file));
      const records = parse(bytes, { bom: true }) as string[][];
      const [header, ...rows] = records;
      const { table, info } = await ingestCsv(new Blob([bytes]), { chunkBytes: 1 << 16 });
      expect(info.badRowCount).toBe(0);
      expect(info.encoding).toBe('utf-8');
      expect(table.schema.fields.map((f) => f.name)).toEqual(header);
      expect(table.numRows).toBe(rows.length);
      header.forEach((name, c) => {
        const col = table.getChildAt(c)!;
        const numeric = info.columns[c].type === 'number';
        for (let r = 0; r < rows.length; r++) {
          const cell = rows[r][c];
          const want = cell === '' ? null : numeric ? Number(cell) : cell;
          if (col.get(r) !== want) throw new Error(`${file} row ${r} column ${name}: ${JSON.stringify(col.get(r))} ≠ ${JSON.stringify(want)}`);
        }
      });
    });
  }
});

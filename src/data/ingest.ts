import Papa from 'papaparse';
import { Table, type Vector } from 'apache-arrow';
import { ColumnBuilder, type ColumnType } from './columns';
import { IngestError } from './errors';
import { utf16Decoder, utf8Decoder, windows1252Decoder } from './decode';

export interface IngestOptions {
  /** Rows with the wrong number of fields: `pad` keeps short rows (nulls added) and drops long ones; `drop` drops both. */
  badRows?: 'pad' | 'drop';
  /** Force a column's type; by default a column is numeric only if that loses nothing, and id-like columns stay text. */
  types?: Record<string, ColumnType>;
  /** Bytes read per step (default 4 MiB). */
  chunkBytes?: number;
  onProgress?: (progress: IngestProgress) => void;
}

export interface IngestProgress {
  bytes: number;
  totalBytes: number;
  rows: number;
}

export interface BadRow {
  /** 1-based line in the file where the record starts (the header is line 1). */
  line: number;
  fields: number;
  expected: number;
  /** padded: missing cells became null; trimmed: extra cells were all empty and were removed; dropped: row not loaded. */
  action: 'padded' | 'trimmed' | 'dropped';
}

export interface IngestInfo {
  rows: number;
  columns: { name: string; type: ColumnType }[];
  encoding: 'utf-8' | 'windows-1252' | 'utf-16le' | 'utf-16be';
  delimiter: string;
  warnings: string[];
  /** The first 1,000 malformed rows; `badRowCount` counts them all. */
  badRows: BadRow[];
  badRowCount: number;
}

const MAX_BAD_ROWS_LISTED = 1000;
/** Excel's limit: a wider "CSV" is almost always a mis-read file, and a table that wide is unusable in the app. */
export const MAX_COLUMNS = 16_384;
/** One record longer than this is refused (a file with no line breaks, or a quote that never closes). */
export const MAX_RECORD_CHARS = 32 << 20;

/**
 * Parses a CSV file into an Arrow table, streaming: the file is read in chunks, decoded (UTF-8, or Windows-1252
 * when it is not valid UTF-8), cut into records by PapaParse's parser and appended to Arrow column builders.
 */
export async function ingestCsv(file: Blob, options: IngestOptions = {}): Promise<{ table: Table; info: IngestInfo }> {
  if (file.size === 0) throw new IngestError('empty', 'The file is empty.');
  const head = new Uint8Array(await file.slice(0, 8192).arrayBuffer());
  const utf16 = head[0] === 0xff && head[1] === 0xfe ? 'utf-16le' : head[0] === 0xfe && head[1] === 0xff ? 'utf-16be' : null;
  if (utf16) {
    const result = await parse(file, utf16, options).catch((e: unknown) => {
      if (e instanceof InvalidUtf8) throw new IngestError('binary', `The file starts with a UTF-16 byte-order mark but is not valid ${utf16.toUpperCase()} (at or after byte ${e.chunkStart}).`);
      throw e;
    });
    result.info.warnings.unshift(`The file is ${utf16.toUpperCase()} (it starts with a byte-order mark); it was read as such. UTF-8 is smaller and more widely read.`);
    return result;
  }
  if (head.includes(0)) {
    throw new IngestError('binary', 'This looks like a binary file (it contains NUL bytes), not CSV text. UTF-16 files must be saved as UTF-8.');
  }
  try {
    return await parse(file, 'utf-8', options);
  } catch (e) {
    if (!(e instanceof InvalidUtf8)) throw e;
    const result = await parse(file, 'windows-1252', options);
    result.info.warnings.unshift(
      `The file is not valid UTF-8 (first bad byte in the ${e.chunkStart === 0 ? 'first' : 'later'} part of the file, ` +
        `at or after byte ${e.chunkStart}); it was read as Windows-1252. Check accented characters.`,
    );
    return result;
  }
}

class InvalidUtf8 extends Error {
  constructor(readonly chunkStart: number) {
    super('invalid utf-8');
  }
}

async function parse(file: Blob, encoding: IngestInfo['encoding'], options: IngestOptions) {
  const chunkBytes = options.chunkBytes ?? 4 << 20;
  const decoder = encoding === 'utf-8' ? utf8Decoder() : encoding === 'windows-1252' ? windows1252Decoder() : utf16Decoder(encoding);
  const badRowPolicy = options.badRows ?? 'pad';
  const warnings: string[] = [];
  const badRows: BadRow[] = [];
  let badRowCount = 0;

  let parser: Papa.Parser | null = null;
  let delimiter = ',';
  let linebreak = '\n';
  let header: string[] | null = null;
  let builders: ColumnBuilder[] = [];
  let pending = ''; // text after the last complete record
  let line = 1; // line where `pending` starts
  let recordLine = 1; // line where the last record read starts
  let rows = 0;
  let onRecord: (fields: string[], end: number) => void = () => {};
  const stepErrors: Papa.ParseError[] = [];

  const reportBad = (row: BadRow) => {
    badRowCount++;
    if (badRows.length < MAX_BAD_ROWS_LISTED) badRows.push(row);
  };

  const takeRecord = (fields: string[], startLine: number) => {
    if (fields.every((f) => f.trim() === '') && (!header || fields.length < 2)) return; // a blank line
    if (!header) {
      header = readHeader(fields, warnings);
      builders = header.map((name) => new ColumnBuilder(name));
      return;
    }
    let cells = fields;
    if (fields.length !== header.length) {
      const short = fields.length < header.length;
      const extraEmpty = !short && fields.slice(header.length).every((f) => f === '');
      const action: BadRow['action'] = extraEmpty ? 'trimmed' : short && badRowPolicy === 'pad' ? 'padded' : 'dropped';
      reportBad({ line: startLine, fields: fields.length, expected: header.length, action });
      if (action === 'dropped') return;
      cells = fields.slice(0, header.length);
    }
    for (let c = 0; c < builders.length; c++) {
      const v = cells[c];
      builders[c].append(v === undefined || v === '' ? null : v);
    }
    rows++;
  };

  /** Parses `pending` + `text`; keeps the unfinished last record unless `final`. */
  const feed = (text: string, final: boolean) => {
    const input = pending + text;
    if (!parser) {
      if (!final && input.length < 65536) {
        pending = input;
        return;
      }
      ({ delimiter, linebreak } = sniffDialect(input.slice(0, 65536)));
      // Papa's core parser calls `step` once per complete record with the input offset just after it.
      parser = new Papa.Parser({
        delimiter,
        newline: linebreak,
        quoteChar: '"',
        step: (r: Papa.ParseStepResult<string[]>) => {
          stepErrors.push(...r.errors);
          onRecord((r.data as unknown as string[][])[0], r.meta.cursor); // a step carries one record: data = [fields]
        },
      } as Papa.ParseConfig);
    }
    let cursor = 0;
    const nl = linebreak[linebreak.length - 1];
    onRecord = (fields, end) => {
      const startLine = (recordLine = line);
      line += countChar(input, nl, cursor, end);
      cursor = end;
      takeRecord(fields, startLine);
    };
    const result = parser.parse(input, 0, !final) as Papa.ParseResult<string[]>;
    for (const err of [...stepErrors, ...result.errors]) {
      if (err.code === 'MissingQuotes') {
        throw new IngestError('unclosed-quote', `A quoted field in the record that starts on line ${recordLine} is never closed.`);
      }
    }
    stepErrors.length = 0;
    pending = input.slice(cursor);
    if (pending.length > MAX_RECORD_CHARS) {
      throw new IngestError(
        'record-too-long',
        `The record that starts on line ${line} is longer than ${MAX_RECORD_CHARS >> 20} Mi characters with no line break: this is not a CSV file, or it has a quote that never closes.`,
      );
    }
  };

  const reader = file.stream().getReader();
  let bytes = 0;
  let carryCr = '';
  let buffered: Uint8Array[] = [];
  let bufferedBytes = 0;
  const flush = (final: boolean) => {
    const chunk = concat(buffered, bufferedBytes);
    const start = bytes;
    bytes += bufferedBytes;
    buffered = [];
    bufferedBytes = 0;
    let text: string;
    try {
      text = decoder.decode(chunk, final);
    } catch {
      throw new InvalidUtf8(start);
    }
    const nul = text.indexOf('\0');
    if (nul !== -1) {
      throw new IngestError('binary', `The file holds a NUL byte (in the part that starts at byte ${start}): it is a binary file, not CSV text.`);
    }
    // Any mix of CRLF and LF line ends reads as LF (a CR at the chunk's end waits for the next chunk's first char).
    text = carryCr + text;
    carryCr = !final && text.endsWith('\r') ? '\r' : '';
    if (carryCr) text = text.slice(0, -1);
    feed(text.replace(/\r\n/g, '\n'), final);
    options.onProgress?.({ bytes, totalBytes: file.size, rows });
  };
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    buffered.push(value);
    bufferedBytes += value.byteLength;
    if (bufferedBytes >= chunkBytes) flush(false);
  }
  flush(true);

  if (!header) throw new IngestError('empty', 'The file has no header row (it holds only blank space).');
  if (rows === 0) {
    throw new IngestError('header-only', `The file has a header row (${(header as string[]).join(', ')}) but no data rows.`);
  }
  if (badRowCount > 0) {
    const dropped = badRows.filter((r) => r.action === 'dropped').length;
    warnings.push(
      `${badRowCount} row(s) had the wrong number of fields (first at line ${badRows[0].line})` +
        (dropped ? `; rows with too many fields were dropped` : '') +
        (badRows.some((r) => r.action === 'padded') ? '; short rows were padded with empty cells' : '') +
        '.',
    );
  }

  const columns: Record<string, Vector> = {};
  const infoColumns: IngestInfo['columns'] = [];
  for (const b of builders) {
    const forced = options.types?.[b.name];
    const type = forced ?? b.inferredType();
    if (forced === 'number' && b.inferredType() !== 'number' && !b.isNumberLossless()) {
      throw new IngestError('bad-type', `Column "${b.name}" cannot be read as numbers: some of its values are not numbers.`);
    }
    columns[b.name] = b.finish(type);
    infoColumns.push({ name: b.name, type });
  }
  return {
    table: new Table(columns),
    info: { rows, columns: infoColumns, encoding, delimiter, warnings, badRows, badRowCount } satisfies IngestInfo,
  };
}

function readHeader(fields: string[], warnings: string[]): string[] {
  if (fields.length > MAX_COLUMNS) {
    throw new IngestError('too-many-columns', `The header row has ${fields.length} columns; at most ${MAX_COLUMNS} are supported (as in Excel). Is the delimiter right?`);
  }
  const seen = new Map<string, number>();
  return fields.map((raw, i) => {
    let name = raw;
    if (name.trim() === '') {
      name = `column_${i + 1}`;
      warnings.push(`Column ${i + 1} has no name; it is called "${name}".`);
    }
    const first = seen.get(name);
    if (first !== undefined) {
      throw new IngestError('duplicate-column', `Duplicate column name "${name}" (columns ${first + 1} and ${i + 1}). Rename one and load the file again.`);
    }
    seen.set(name, i);
    return name;
  });
}

/**
 * Picks the delimiter (comma, semicolon or tab) that splits the sample's records most consistently into more than
 * one field, and the line break the sample uses. Quotes are respected (each candidate is parsed for real).
 */
function sniffDialect(sample: string): { delimiter: string; linebreak: string } {
  const linebreak = /\r\n/.test(sample) ? '\r\n' : !sample.includes('\n') && sample.includes('\r') ? '\r' : '\n';
  let best = { delimiter: ',', score: -1 };
  for (const delimiter of [',', ';', '\t']) {
    const rows = Papa.parse<string[]>(sample, { delimiter, newline: linebreak as '\n', preview: 50, skipEmptyLines: true }).data;
    const width = rows[0]?.length ?? 0;
    if (width < 2) continue;
    const consistent = rows.filter((r) => r.length === width).length / rows.length;
    const score = consistent * 1000 + Math.min(width, 999);
    if (score > best.score) best = { delimiter, score };
  }
  return { delimiter: best.delimiter, linebreak };
}

function countChar(s: string, ch: string, from: number, to: number): number {
  let n = 0;
  for (let i = s.indexOf(ch, from); i !== -1 && i < to; i = s.indexOf(ch, i + 1)) n++;
  return n;
}

function concat(parts: Uint8Array[], size: number): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(size);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

import Papa from 'papaparse';
import { tableToIPC, type Table } from 'apache-arrow';

/** `parquet` is written by ./parquet (parquet-wasm), loaded only when first asked for. */
export type ExportFormat = 'arrow' | 'csv' | 'parquet';

export const exportMimeTypes: Record<ExportFormat, string> = {
  arrow: 'application/vnd.apache.arrow.file',
  csv: 'text/csv;charset=utf-8',
  parquet: 'application/vnd.apache.parquet',
};

/** Arrow IPC *file* format (the one with a footer, `.arrow`), readable by pyarrow, DuckDB, Polars and apache-arrow. */
export function tableToArrowFile(table: Table): Blob {
  return new Blob([tableToIPC(table, 'file') as Uint8Array<ArrayBuffer>], { type: exportMimeTypes.arrow });
}

/**
 * A text cell a spreadsheet would run as a formula: OWASP's CSV-injection list (`=`, `+`, `-`, `@`, tab, CR first).
 * NOTE: Papa's own `escapeFormulae: true` pattern ends in `.*$` without the `s` flag, so a cell like `=cmd\n…`
 * would slip past it; this one looks at the first character only.
 */
export const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote, CR or LF (quotes doubled).
 * Nulls become empty fields; numbers print as JavaScript prints them, which reads back to the same number.
 * Text cells that start like a formula (see FORMULA_START) are written as OWASP recommends: prefixed with `'` and
 * quoted, so a spreadsheet shows them as text; numeric cells (`-2`) are left alone.
 * Written in slices of rows so a large table never becomes one giant string.
 */
export function tableToCsv(table: Table, rowsPerPart = 20_000): Blob {
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((_, i) => table.getChildAt(i)!);
  const options = { newline: '\r\n', escapeFormulae: FORMULA_START };
  const parts: string[] = [Papa.unparse([names], options) + '\r\n'];
  for (let start = 0; start < table.numRows; start += rowsPerPart) {
    const end = Math.min(table.numRows, start + rowsPerPart);
    const rows: unknown[][] = [];
    for (let r = start; r < end; r++) rows.push(columns.map((col) => cell(col.get(r))));
    parts.push(Papa.unparse(rows, { ...options, header: false }) + '\r\n');
  }
  return new Blob(parts, { type: exportMimeTypes.csv });
}

/** Numbers stay numbers so the formula escape leaves `-2` alone; everything else is its text. */
function cell(v: unknown): string | number | bigint {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' || typeof v === 'bigint') return v;
  return String(v);
}

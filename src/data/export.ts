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
 * RFC 4180 CSV: a header row, CRLF line ends, fields quoted when they hold a comma, quote, CR or LF (quotes doubled).
 * Nulls become empty fields; numbers print as JavaScript prints them, which reads back to the same number.
 * Written in slices of rows so a large table never becomes one giant string.
 */
export function tableToCsv(table: Table, rowsPerPart = 20_000): Blob {
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((_, i) => table.getChildAt(i)!);
  const parts: string[] = [Papa.unparse([names], { newline: '\r\n' }) + '\r\n'];
  for (let start = 0; start < table.numRows; start += rowsPerPart) {
    const end = Math.min(table.numRows, start + rowsPerPart);
    const rows: unknown[][] = [];
    for (let r = start; r < end; r++) rows.push(columns.map((col) => cell(col.get(r))));
    parts.push(Papa.unparse(rows, { newline: '\r\n', header: false }) + '\r\n');
  }
  return new Blob(parts, { type: exportMimeTypes.csv });
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

/**
 * Parquet export with parquet-wasm (the Rust `arrow`/`parquet` crates compiled to WebAssembly). Loaded on first
 * use only: `Database.export(…, 'parquet')` imports this module dynamically, so the first page load pays nothing;
 * its .wasm is a local build asset (precached for offline use), never fetched from a CDN.
 */
import { tableToIPC, type Table } from 'apache-arrow';
import { exportMimeTypes } from './export';
import initParquet, {
  Compression,
  Table as WasmTable,
  WriterPropertiesBuilder,
  writeParquet,
  type InitInput,
} from 'parquet-wasm/esm';
import parquetWasmUrl from 'parquet-wasm/esm/parquet_wasm_bg.wasm?url';

let ready: Promise<unknown> | undefined;

/** Instantiates parquet-wasm once: from our own asset URL, or from given bytes (Node tests). */
export function loadParquetWasm(input?: InitInput): Promise<unknown> {
  ready ??= initParquet({ module_or_path: input ?? new URL(parquetWasmUrl, self.location.href) }).catch((e: unknown) => {
    ready = undefined;
    throw new Error(`The Parquet writer could not load: ${(e as Error).message}`);
  });
  return ready;
}

/**
 * A Parquet file of an Arrow table: Snappy-compressed (what pyarrow, DuckDB, Polars and Spark read by default),
 * the Arrow schema and its metadata kept (so `jammi.*` keys and column types survive), nulls as nulls.
 */
export async function tableToParquet(table: Table): Promise<Blob> {
  await loadParquetWasm();
  const wasmTable = WasmTable.fromIPCStream(tableToIPC(table, 'stream'));
  const props = new WriterPropertiesBuilder().setCompression(Compression.SNAPPY).setCreatedBy('jammi-web').build();
  // NOTE: writeParquet consumes both the table and the properties (their wasm memory is freed by it).
  const bytes = writeParquet(wasmTable, props);
  return new Blob([bytes as Uint8Array<ArrayBuffer>], { type: exportMimeTypes.parquet });
}

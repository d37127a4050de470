/**
 * The result table of `Database.infer` (see infer.ts): Jammi's columns and the `jammi.*` schema metadata, with the
 * text columns built straight into UTF-8 buffers.
 */
import { Field, Float32, makeData, RecordBatch, Schema, Struct, Table, Utf8 } from 'apache-arrow';
import type { ModelInfo } from '../infer/onnx-classifier';
import { vectorOf } from '../data/vectors';
import { ColumnBuilder } from '../data/columns';

export function resultTable(r: {
  rowIds: string[];
  source: string;
  info: ModelInfo;
  status: string[];
  errors: (string | null)[];
  latency: Float32Array;
  labels: (string | null)[];
  confidence: (number | null)[];
  scores: (string | null)[];
  memory: { halvings: number; gpuBytes: { base: number; peak: number } | null; recreated: string | null };
}): Table {
  const n = r.rowIds.length;
  const columns = [
    ['_row_id', new Utf8(), false, r.rowIds],
    ['_source', new Utf8(), false, new Array(n).fill(r.source)],
    ['_model', new Utf8(), false, new Array(n).fill(r.info.model)],
    ['_status', new Utf8(), false, r.status],
    ['_error', new Utf8(), true, r.errors],
    ['_latency_ms', new Float32(), false, r.latency],
    ['label', new Utf8(), true, r.labels],
    ['confidence', new Float32(), true, r.confidence],
    ['all_scores_json', new Utf8(), true, r.scores],
  ] as const;
  const fields = columns.map(([name, type, nullable]) => new Field(name, type, nullable));
  const metadata = new Map([
    ['jammi.task', 'classification'],
    ['jammi.model', r.info.model],
    ['jammi.engine', r.info.engine],
    ['jammi.backend', r.info.backend],
    ['jammi.backend_reason', r.info.backendReason],
    ['jammi.dtype', r.info.dtype],
    ['jammi.model_file', r.info.file],
    ['jammi.max_length', String(r.info.maxLength)],
    ['jammi.labels', JSON.stringify(r.info.labels)],
    ...(r.info.threads !== undefined ? [['jammi.threads', String(r.info.threads)] as [string, string]] : []),
    ...(r.info.threads !== undefined && r.info.backend === 'wasm' ? [['jammi.wasm_threads', String(r.info.threads)] as [string, string]] : []),
    // Our engine: how often a batch was halved after a GPU out-of-memory, and its GPU bytes (weights; peak).
    ...(r.info.engine === 'native' ? [['jammi.oom_halvings', String(r.memory.halvings)] as [string, string]] : []),
    ...(r.memory.gpuBytes ? [['jammi.gpu_bytes', JSON.stringify(r.memory.gpuBytes)] as [string, string]] : []),
    // This call ran in a fresh worker on a fresh GPU device, because the last one was lost (the reason).
    ...(r.memory.recreated ? [['jammi.device_recreated', r.memory.recreated] as [string, string]] : []),
    ['jammi.latency_ms', "each row's share of its batch's wall time (tokenize + run + head); 0 for error rows"],
  ]);
  const schema = new Schema(fields, metadata);
  // Text columns straight into UTF-8 buffers (the ingest's ColumnBuilder): several times quicker than vectorFromArray.
  const children = columns.map(([name, type, , values]) => (type instanceof Utf8 ? utf8Column(name, values as (string | null)[]) : vectorOf(values as never, type).data[0]));
  const data = makeData({ type: new Struct(fields), length: n, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}

/** A Utf8 column (nulls kept) as Arrow data, like `vectorFromArray(values, new Utf8())` but quicker. */
export function utf8Column(name: string, values: readonly (string | null)[]) {
  const b = new ColumnBuilder(name);
  for (const v of values) b.append(v);
  return b.finish('text').data[0];
}

import { makeData, RecordBatch, Struct, Table, type Vector } from 'apache-arrow';
import { vectorOf } from '../../api/infer';

/**
 * A table of the result's main columns beside the source's columns, for the rows `indices` (in that order).
 * Built from the Arrow columns directly; the source and result tables are not changed.
 */
export function resultsBesideSource(results: Table, source: Table, indices: readonly number[]): Table {
  const columns: Record<string, Vector> = {};
  const pick = (name: string, col: Vector) => {
    const values = indices.map((i) => col.get(i));
    columns[name] = vectorOf(values as never, col.type);
  };
  for (const name of ['_row_id', '_status', 'label', 'confidence', '_error']) pick(name, results.getChild(name)!);
  for (const f of source.schema.fields) {
    if (!(f.name in columns)) pick(f.name, source.getChild(f.name)!);
  }
  return new Table(columns);
}

/** The result rows `indices` (schema, nullability and metadata kept): what export saves when a filter is on. */
export function pickRows(table: Table, indices: readonly number[]): Table {
  if (indices.length === table.numRows && indices.every((v, i) => v === i)) return table;
  const schema = table.schema;
  const children = schema.fields.map((f) => {
    const col = table.getChild(f.name)!;
    return vectorOf(indices.map((i) => col.get(i)) as never, f.type).data[0];
  });
  const data = makeData({ type: new Struct(schema.fields), length: indices.length, nullCount: 0, children });
  return new Table(schema, new RecordBatch(schema, data));
}

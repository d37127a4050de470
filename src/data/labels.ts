/**
 * Labels the user gives rows in the app: kept as edits (column → row → label, null clears) over the loaded table,
 * so a label is one small write however large the source, and replayed on the stored table after a reload.
 */
import { Table, Utf8 } from 'apache-arrow';
import { vectorOf } from './vectors';

/** column → row index (as text) → label (null: no label). */
export type LabelEdits = Record<string, Record<string, string | null>>;

/** The table with `column` (text; created empty when missing) carrying `edits`. */
export function applyLabels(table: Table, column: string, edits: Record<string, string | null>): Table {
  const existing = table.getChild(column);
  if (existing && String(existing.type) !== 'Utf8') {
    throw new Error(`Column "${column}" holds ${String(existing.type)} values, not text labels; pick or name another column.`);
  }
  const values: (string | null)[] = existing ? Array.from({ length: table.numRows }, (_, r) => existing.get(r) ?? null) : new Array(table.numRows).fill(null);
  for (const [row, label] of Object.entries(edits)) {
    const r = Number(row);
    if (!Number.isInteger(r) || r < 0 || r >= table.numRows) throw new Error(`Row ${row} is out of range (the source has ${table.numRows} rows).`);
    values[r] = label === null || label.trim() === '' ? null : label.trim();
  }
  const vector = vectorOf(values, new Utf8());
  // NOTE: setChild only replaces an existing column; a new one is appended with assign.
  return existing ? table.setChild(column, vector) : table.assign(new Table({ [column]: vector }));
}

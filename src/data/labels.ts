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

/** Label text as stored: trimmed, '' → null. */
export function normaliseLabel(label: string | null | undefined): string | null {
  if (label === null || label === undefined) return null;
  const t = String(label).trim();
  return t === '' ? null : t;
}

/**
 * The label columns of one loaded source, editable in O(1) per row: each column is a plain array of values
 * (seeded from the table's own column when it has one) plus the map of rows edited in the app (what is persisted).
 * The Arrow table with the labels is built only when asked for (`table()`), and cached until the next edit.
 */
export class SourceLabels {
  private readonly values = new Map<string, (string | null)[]>();
  private readonly edited = new Map<string, Map<number, string | null>>();
  private cached: Table | null;

  constructor(private base: Table) {
    this.cached = base;
  }

  get numRows(): number {
    return this.base.numRows;
  }

  /** Throws (before anything changes) when `column` exists and is not text. */
  check(column: string): void {
    const existing = this.base.getChild(column);
    if (existing && String(existing.type) !== 'Utf8') {
      throw new Error(`Column "${column}" holds ${String(existing.type)} values, not text labels; pick or name another column.`);
    }
  }

  private column(column: string): (string | null)[] {
    let v = this.values.get(column);
    if (!v) {
      this.check(column);
      const existing = this.base.getChild(column);
      v = existing ? Array.from({ length: this.base.numRows }, (_, r) => normaliseLabel(existing.get(r))) : new Array<string | null>(this.base.numRows).fill(null);
      this.values.set(column, v);
      this.edited.set(column, new Map());
    }
    return v;
  }

  /** Whether the column exists (in the table or as labels given in the app). */
  has(column: string): boolean {
    return this.values.has(column) || this.base.getChild(column) !== null;
  }

  get(column: string, row: number): string | null {
    return this.has(column) ? this.column(column)[row] ?? null : null;
  }

  private empty: (string | null)[] | null = null;

  /** All values of a label column (a live array: do not change it); all null for a column not made yet. */
  all(column: string): readonly (string | null)[] {
    if (!this.has(column)) return (this.empty ??= new Array<string | null>(this.base.numRows).fill(null));
    return this.column(column);
  }

  /**
   * Sets labels; returns what each row had before. Checks every row first, so a bad edit changes nothing.
   * O(number of edits).
   */
  set(column: string, edits: Record<string, string | null>): { previous: Record<number, string | null>; next: Record<number, string | null> } {
    const v = this.column(column);
    const rows = Object.keys(edits).map((row) => {
      const r = Number(row);
      if (!Number.isInteger(r) || r < 0 || r >= v.length) throw new Error(`Row ${row} is out of range (the source has ${v.length} rows).`);
      return r;
    });
    const previous: Record<number, string | null> = {};
    const next: Record<number, string | null> = {};
    const edited = this.edited.get(column)!;
    for (const r of rows) {
      const label = normaliseLabel(edits[r]);
      previous[r] = v[r];
      next[r] = label;
      v[r] = label;
      edited.set(r, label);
    }
    if (rows.length > 0) this.cached = null;
    return { previous, next };
  }

  /** The rows edited in the app, in the persisted form (column → row → label). */
  edits(): LabelEdits {
    const out: LabelEdits = {};
    for (const [column, rows] of this.edited) if (rows.size > 0) out[column] = Object.fromEntries(rows);
    return out;
  }

  /** Columns added in the app (not in the loaded table), in the order they were added. */
  addedColumns(): string[] {
    return [...this.values.keys()].filter((c) => this.base.getChild(c) === null);
  }

  /** The source table with every label column as text (built on first call after an edit). */
  table(): Table {
    if (this.cached) return this.cached;
    let t = this.base;
    for (const [column, v] of this.values) {
      const vector = vectorOf(v, new Utf8());
      // NOTE: setChild only replaces an existing column; a new one is appended with assign.
      t = t.getChild(column) ? t.setChild(column, vector) : t.assign(new Table({ [column]: vector }));
    }
    this.cached = t;
    return t;
  }
}

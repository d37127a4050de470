/** Labelled examples for fine-tuning: read, cleaned, split (stratified, seeded) and shuffled (seeded, per epoch). */
import type { Table } from 'apache-arrow';
import { Rng } from '../grad/rng';

export interface LabelledData {
  texts: string[];
  /** Class index of each text, into `classes`. */
  labels: number[];
  /** Label names, sorted: the adapter's id2label. */
  classes: string[];
  skipped: { emptyText: number; emptyLabel: number };
  warnings: string[];
}

/** More classes than this is not a label column (an id, a free-text or a numeric measurement column). */
export const MAX_CLASSES = 1000;

export class DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataError';
  }
}

/** Reads `textColumn` and `labelColumn` (labels as trimmed text); rows with an empty text or label are skipped and counted. */
export function labelledExamples(table: Table, textColumn: string, labelColumn: string): LabelledData {
  const names = table.schema.fields.map((f) => f.name);
  for (const c of [textColumn, labelColumn]) {
    if (!names.includes(c)) throw new DataError(`Unknown column "${c}". Available columns: ${names.join(', ')}.`);
  }
  const textCol = table.getChild(textColumn)!;
  const labelCol = table.getChild(labelColumn)!;
  const texts: string[] = [];
  const rawLabels: string[] = [];
  const skipped = { emptyText: 0, emptyLabel: 0 };
  for (let r = 0; r < table.numRows; r++) {
    const text = textCol.get(r);
    const label = labelCol.get(r);
    const t = text === null || text === undefined ? '' : String(text);
    const l = label === null || label === undefined ? '' : String(label).trim();
    if (t.trim() === '') skipped.emptyText++;
    else if (l === '') skipped.emptyLabel++;
    else {
      texts.push(t);
      rawLabels.push(l);
    }
  }
  const counts = new Map<string, number>();
  for (const l of rawLabels) counts.set(l, (counts.get(l) ?? 0) + 1);
  const classes = [...counts.keys()].sort();
  if (classes.length < 2) {
    throw new DataError(
      `Fine-tuning needs at least two classes in "${labelColumn}"; found ${classes.length === 0 ? 'none' : `only "${classes[0]}"`} ` +
        `(${texts.length} usable rows, ${skipped.emptyText} with empty text, ${skipped.emptyLabel} with an empty label).`,
    );
  }
  if (classes.length > MAX_CLASSES) {
    throw new DataError(
      `"${labelColumn}" has ${classes.length} distinct labels among ${texts.length} rows; at most ${MAX_CLASSES} classes are supported. ` +
        'Is it really the label column (not an id, free text or a measurement)?',
    );
  }
  const warnings: string[] = [];
  const numeric = String(labelCol.type) !== 'Utf8';
  if (numeric) warnings.push(`"${labelColumn}" is a numeric column: its values (${classes.slice(0, 5).join(', ')}${classes.length > 5 ? ', …' : ''}) are used as class names.`);
  const single = classes.filter((c) => counts.get(c)! < 2);
  if (single.length > 0) {
    const names = single.slice(0, 10).map((c) => `"${c}"`).join(', ');
    warnings.push(`${single.length === 1 ? 'Class' : `${single.length} classes have only one row:`} ${names}${single.length > 10 ? ', …' : ''}${single.length === 1 ? ' has only one row' : ''}: label more examples of ${single.length === 1 ? 'it' : 'them'}.`);
  }
  if (skipped.emptyText + skipped.emptyLabel > 0) {
    warnings.push(`${skipped.emptyText} row(s) with empty text and ${skipped.emptyLabel} with an empty label were skipped.`);
  }
  const index = new Map(classes.map((c, i) => [c, i]));
  return { texts, labels: rawLabels.map((l) => index.get(l)!), classes, skipped, warnings };
}

/** Fisher–Yates with a seeded stream. */
export function shuffle<T>(items: readonly T[], rng: Rng): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng.uniform() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

/**
 * A stratified, seeded split: each class gives round(n · fraction) of its rows to validation (a class with a single
 * row stays in training). Returns row indices, each list in ascending order.
 */
export function stratifiedSplit(labels: readonly number[], fraction: number, seed: number): { train: number[]; validation: number[] } {
  const byClass = new Map<number, number[]>();
  labels.forEach((l, i) => byClass.set(l, [...(byClass.get(l) ?? []), i]));
  const train: number[] = [];
  const validation: number[] = [];
  for (const [label, rows] of [...byClass].sort((a, b) => a[0] - b[0])) {
    const order = shuffle(rows, Rng.forKey(seed, `split/${label}`));
    const take = rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.round(rows.length * fraction));
    validation.push(...order.slice(0, take));
    train.push(...order.slice(take));
  }
  return { train: train.sort((a, b) => a - b), validation: validation.sort((a, b) => a - b) };
}

/** The training order of an epoch: the same for the same seed and epoch, different across epochs. */
export function epochOrder(rows: readonly number[], seed: number, epoch: number): number[] {
  return shuffle(rows, Rng.forKey(seed, `epoch/${epoch}`));
}

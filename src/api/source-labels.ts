/**
 * A source's labels as the `Database` keeps them (see database.ts): restoring saved edits, applying another tab's
 * edits, the source info's columns once label columns are added, and the checks of text and label column names.
 */
import type { Table } from 'apache-arrow';
import { SourceLabels, type LabelEdits } from '../data/labels';
import { JammiError } from '../errors';
import type { RemoteChange } from './label-sync';
import type { SourceInfo } from './source-ingest';

export function restoreEdits(name: string, labels: SourceLabels, edits: LabelEdits): void {
  for (const [column, rows] of Object.entries(edits)) {
    try {
      labels.set(column, rows);
    } catch (e) {
      console.warn(`jammi: labels of "${name}" column "${column}" could not be restored`, e);
    }
  }
}

/** Source info whose columns and types follow the labels (a label column added in the app). */
export function withColumns(info: SourceInfo, labels: SourceLabels): SourceInfo {
  const added = labels.addedColumns().filter((c) => !info.columns.includes(c));
  if (added.length === 0) return info;
  const columns = [...info.columns, ...added];
  const types = Object.fromEntries(columns.map((c) => [c, info.types[c] ?? 'text'])) as SourceInfo['types'];
  return { ...info, columns, types };
}

/** Applies labels another tab saved to `s` (a full log replaces its labels): the rows whose label changed, by column. */
export function applyRemoteChange(name: string, s: { table: Table; labels: SourceLabels }, change: RemoteChange): Map<string, number> {
  // Only rows whose label really changed count (this tab's own edits come back from the log too).
  const touched = new Map<string, number>();
  if ('full' in change) {
    const before = s.labels;
    s.labels = new SourceLabels(s.table);
    restoreEdits(name, s.labels, change.full);
    for (const column of new Set([...Object.keys(change.full), ...Object.keys(before.edits())])) {
      if (!s.labels.has(column)) continue;
      const now = s.labels.all(column);
      const was = before.has(column) ? before.all(column) : [];
      let n = 0;
      for (let r = 0; r < now.length; r++) if (now[r] !== (was[r] ?? null)) n++;
      if (n > 0) touched.set(column, n);
    }
  } else {
    for (const { column, edits } of change.entries) {
      try {
        const { previous, next } = s.labels.set(column, edits);
        const n = Object.keys(next).filter((r) => previous[Number(r)] !== next[Number(r)]).length;
        if (n > 0) touched.set(column, (touched.get(column) ?? 0) + n);
      } catch (e) {
        console.warn(`jammi: labels from another tab for "${name}" column "${column}" were not applied`, e);
      }
    }
  }
  return touched;
}

/** The source, after checking that `textColumn` is one of its columns (a label column counts). */
export function checkTextColumn<S extends { table: Table; info: SourceInfo; labels: SourceLabels }>(s: S, source: string, textColumn: string): S {
  if (!s.table.getChild(textColumn) && !s.labels.has(textColumn)) {
    throw new JammiError('bad_input', `Unknown text column "${textColumn}" in source "${source}". Available columns: ${s.info.columns.join(', ')}.`);
  }
  return s;
}

/** Checks a label column's name (named, and not a column of the source's own data). */
export function checkLabelColumn(s: { labels: SourceLabels }, labelColumn: string): void {
  if (!labelColumn?.trim()) throw new JammiError('bad_input', 'Name the label column.');
  asBadInput(() => s.labels.check(labelColumn));
}

/** Runs `fn`; a plain error becomes a JammiError('bad_input') with its message. */
export function asBadInput<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw e instanceof JammiError ? e : new JammiError('bad_input', (e as Error).message);
  }
}

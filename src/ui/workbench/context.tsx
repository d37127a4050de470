import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Table } from 'apache-arrow';
import type { Database, SourceInfo } from '../../api/database';
import { useSources } from '../hooks';
import { formatPlace, parsePlace, type LabelView, type Place, type StepId } from './location';
import { useLabelSession, type LabelSession } from './session';

/** What every step shares: the database, the current source and its table, the label and text columns, the step. */
export interface Workbench {
  db: Database;
  sources: SourceInfo[];
  source: string | null;
  table: Table | null;
  step: StepId;
  view: LabelView;
  labelColumn: string;
  textColumn: string;
  /** Text columns of the current table (label candidates too). */
  textColumns: string[];
  /** Classes of the label column, in a stable order (each keeps its key): seen or added. */
  classes: string[];
  counts: Map<string, number>;
  /** Rows of the current table without a label in the label column. */
  unlabelled: number;
  session: LabelSession;
  go(step: StepId): void;
  setView(view: LabelView): void;
  setSource(source: string | null): void;
  setLabelColumn(column: string): void;
  setTextColumn(column: string): void;
  addClass(name: string): void;
}

const WorkbenchContext = createContext<Workbench | null>(null);

export function useWorkbench(): Workbench {
  const w = useContext(WorkbenchContext);
  if (!w) throw new Error('useWorkbench outside <WorkbenchProvider>');
  return w;
}

const classesKey = (source: string, column: string) => `jammi:classes:${source}\u0000${column}`;

/** Remembers a label column's classes (and so their keys) before any row carries them. */
export function saveClasses(source: string, column: string, classes: string[]): void {
  localStorage.setItem(classesKey(source, column), JSON.stringify(classes));
}

function readExtraClasses(source: string | null, column: string): string[] {
  if (!source || !column) return [];
  try {
    const v = JSON.parse(localStorage.getItem(classesKey(source, column)) ?? '[]') as unknown;
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

export function WorkbenchProvider({ db, children }: { db: Database; children: ReactNode }) {
  const sources = useSources(db);
  const [place, setPlace] = useState<Place>(() => parsePlace(location.hash));
  const [table, setTable] = useState<Table | null>(null);
  const [extra, setExtra] = useState<string[]>(() => readExtraClasses(place.source, place.labelColumn));

  // The hash follows the place: a new step is a history entry (Back returns), a column change replaces it.
  const update = useCallback((patch: Partial<Place>, push = false) => {
    setPlace((p) => {
      const next = { ...p, ...patch };
      const hash = formatPlace(next);
      if (hash !== location.hash) history[push ? 'pushState' : 'replaceState'](null, '', hash);
      return next;
    });
  }, []);
  useEffect(() => {
    const onHash = () => setPlace(parsePlace(location.hash));
    window.addEventListener('hashchange', onHash);
    window.addEventListener('popstate', onHash);
    return () => {
      window.removeEventListener('hashchange', onHash);
      window.removeEventListener('popstate', onHash);
    };
  }, []);

  // A source named in the hash that is not loaded (removed, or another browser) gives way to the first one.
  const { source } = place;
  useEffect(() => {
    let live = true;
    const fallBack = () => {
      setTable(null);
      if (live && sources.length > 0) update({ source: sources[0].name, labelColumn: '', textColumn: '' });
    };
    if (!source) fallBack();
    else db.getSource(source).then((t) => live && setTable(t), fallBack);
    return () => {
      live = false;
    };
  }, [db, source, sources, update]);

  const textColumns = useMemo(() => (table ? table.schema.fields.filter((f) => String(f.type) === 'Utf8').map((f) => f.name) : []), [table]);
  // Default text column: "text", else the text column with the longest values in the first rows.
  const textColumn = place.textColumn && (!table || textColumns.includes(place.textColumn)) ? place.textColumn : guessTextColumn(table, textColumns);
  const labelColumn = place.labelColumn;

  useEffect(() => setExtra(readExtraClasses(source, labelColumn)), [source, labelColumn]);
  const values = labelColumn && table ? table.getChild(labelColumn) : null;
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    if (values) for (let r = 0; r < values.length; r++) {
      const v = values.get(r) as string | null;
      if (v !== null && v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
    }
    return m;
  }, [values]);
  const classes = useMemo(() => [...extra, ...[...counts.keys()].filter((k) => !extra.includes(k)).sort()], [counts, extra]);
  const unlabelled = table ? table.numRows - [...counts.values()].reduce((a, b) => a + b, 0) : 0;
  const session = useLabelSession(db, source, labelColumn);

  // The class order is kept (each class keeps its key): the column's classes when first seen, then added ones.
  useEffect(() => {
    if (!source || !labelColumn) return;
    const missing = classes.filter((c) => !extra.includes(c));
    if (missing.length === 0) return;
    const next = [...extra, ...missing];
    saveClasses(source, labelColumn, next);
    setExtra(next);
  }, [classes, extra, source, labelColumn]);

  const value: Workbench = {
    db,
    sources,
    source,
    table: source && table ? table : null,
    step: place.step,
    view: place.view,
    labelColumn,
    textColumn,
    textColumns,
    classes,
    counts,
    unlabelled,
    session,
    go: (step) => update({ step }, true),
    setView: (view) => update({ view }),
    setSource: (s) => update({ source: s, labelColumn: '', textColumn: '' }),
    setLabelColumn: (c) => update({ labelColumn: c.trim() }),
    setTextColumn: (c) => update({ textColumn: c }),
    addClass(name) {
      const c = name.trim();
      if (!c || classes.includes(c) || !source || !labelColumn) return;
      const next = [...extra, c];
      saveClasses(source, labelColumn, next);
      setExtra(next);
    },
  };
  return <WorkbenchContext.Provider value={value}>{children}</WorkbenchContext.Provider>;
}

function guessTextColumn(table: Table | null, names: string[]): string {
  if (!table || names.length === 0) return '';
  if (names.includes('text')) return 'text';
  let best = names[0];
  let bestLength = -1;
  for (const n of names) {
    const col = table.getChild(n)!;
    let total = 0;
    for (let r = 0; r < Math.min(50, table.numRows); r++) total += String(col.get(r) ?? '').length;
    if (total > bestLength) [best, bestLength] = [n, total];
  }
  return best;
}

import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { Table } from 'apache-arrow';
import type { Database, SourceInfo } from '../../api/database';
import { useSources } from '../hooks';
import { formatPlace, parsePlace, type LabelView, type Place, type StepId } from './location';
import { useLabelSession, type LabelSession } from './session';

/** What every step shares: the database, the current source and its table, the label and text columns, the step. */
export interface Workbench extends Labelling {
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
  go(step: StepId): void;
  setView(view: LabelView): void;
  setSource(source: string | null): void;
  setLabelColumn(column: string): void;
  setTextColumn(column: string): void;
}

/** What changes with every label: kept apart, so that a key press redraws only what shows labels. */
export interface Labelling {
  /** Classes of the label column, in a stable order (each keeps its key): seen or added. */
  classes: string[];
  counts: Map<string, number>;
  /** Rows of the current source without a label in the label column. */
  unlabelled: number;
  /** The row's label now (the table itself is refreshed a little later, see below). */
  labelOf(row: number): string | null;
  session: LabelSession;
  addClass(name: string): void;
}

type Place_ = Omit<Workbench, keyof Labelling>;
const PlaceContext = createContext<Place_ | null>(null);
const LabellingContext = createContext<Labelling | null>(null);
const ActiveContext = createContext(true);

/** The shared state of the workbench (both halves). */
export function useWorkbench(): Workbench {
  const place = useContext(PlaceContext);
  const labelling = useContext(LabellingContext);
  if (!place || !labelling) throw new Error('useWorkbench outside <WorkbenchProvider>');
  return { ...place, ...labelling };
}

/** Whether the step this component is in is the one on screen. */
export const useStepActive = () => useContext(ActiveContext);

/**
 * A step's body: while it is hidden it keeps the state it last showed (no redraw for every label made elsewhere);
 * shown again, it catches up. Its own state (a training run, a classification) carries on either way.
 */
export function StepBody({ active, children }: { active: boolean; children: ReactNode }) {
  const place = useContext(PlaceContext);
  const labelling = useContext(LabellingContext);
  const frozen = useRef({ place, labelling });
  if (active) frozen.current = { place, labelling };
  return (
    <ActiveContext.Provider value={active}>
      <PlaceContext.Provider value={frozen.current.place}>
        <LabellingContext.Provider value={frozen.current.labelling}>{children}</LabellingContext.Provider>
      </PlaceContext.Provider>
    </ActiveContext.Provider>
  );
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

  // Labels change at typing speed: counts and `labelOf` follow each change at once (cheap), the table with its label
  // column (rebuilt by the database on read, O(rows), then every view of it redrawn) once the keys pause for
  // TABLE_REFRESH_MS, or at least every TABLE_REFRESH_MAX_MS while they keep coming, in an idle moment.
  // NOTE: rebuilt at a fixed rate instead, a 22,000-row source spent ~10 ms of every 400 on it, in the way of keys.
  const [labelsTick, setLabelsTick] = useState(0);
  useEffect(() => {
    if (!source) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    let first = 0;
    let live = true;
    const refresh = () => {
      timer = null;
      first = 0;
      const run = () => live && db.getSource(source).then((t) => live && setTable(t), () => undefined);
      if (typeof requestIdleCallback === 'function') requestIdleCallback(run, { timeout: TABLE_REFRESH_MS });
      else run();
    };
    const onChange = () => {
      setLabelsTick((t) => t + 1);
      const now = performance.now();
      first ||= now;
      if (timer) clearTimeout(timer);
      timer = setTimeout(refresh, Math.max(0, Math.min(TABLE_REFRESH_MS, first + TABLE_REFRESH_MAX_MS - now)));
    };
    db.addEventListener('change', onChange);
    return () => {
      live = false;
      if (timer) clearTimeout(timer);
      db.removeEventListener('change', onChange);
    };
  }, [db, source]);

  const textColumns = useMemo(() => (table ? table.schema.fields.filter((f) => String(f.type) === 'Utf8').map((f) => f.name) : []), [table]);
  // Default text column: "text", else the text column with the longest values in the first rows.
  const textColumn = place.textColumn && (!table || textColumns.includes(place.textColumn)) ? place.textColumn : guessTextColumn(table, textColumns);
  const labelColumn = place.labelColumn;

  useEffect(() => setExtra(readExtraClasses(source, labelColumn)), [source, labelColumn]);
  const counts = useMemo(() => labelCounts(db, source, labelColumn, table), [db, source, labelColumn, table, labelsTick]);
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

  const labelOf = useMemo(() => labelReader(db, source, labelColumn, table), [db, source, labelColumn, table, labelsTick]);
  const labelling: Labelling = {
    classes,
    counts,
    unlabelled,
    labelOf,
    session,
    addClass(name) {
      const c = name.trim();
      if (!c || classes.includes(c) || !source || !labelColumn) return;
      const next = [...extra, c];
      saveClasses(source, labelColumn, next);
      setExtra(next);
    },
  };
  const placeValue: Place_ = useMemo(
    () => ({
      db,
      sources,
      source,
      table: source && table ? table : null,
      step: place.step,
      view: place.view,
      labelColumn,
      textColumn,
      textColumns,
      go: (step: StepId) => update({ step }, true),
      setView: (view: LabelView) => update({ view }),
      setSource: (s: string | null) => update({ source: s, labelColumn: '', textColumn: '' }),
      setLabelColumn: (c: string) => update({ labelColumn: c.trim() }),
      setTextColumn: (c: string) => update({ textColumn: c }),
    }),
    [db, sources, source, table, place.step, place.view, labelColumn, textColumn, textColumns, update],
  );
  return (
    <PlaceContext.Provider value={placeValue}>
      <LabellingContext.Provider value={labelling}>{children}</LabellingContext.Provider>
    </PlaceContext.Provider>
  );
}

const TABLE_REFRESH_MS = 400;
const TABLE_REFRESH_MAX_MS = 2000;

interface LabelReads {
  labelCounts?(source: string, column: string): Record<string, number>;
  labelOf?(source: string, column: string, row: number): string | null;
}

/** Rows per label: the database's own count where it has one (no table needed), else from the table. */
function labelCounts(db: Database, source: string | null, column: string, table: Table | null): Map<string, number> {
  const m = new Map<string, number>();
  if (!source || !column || !table) return m;
  const d = db as unknown as LabelReads;
  if (typeof d.labelCounts === 'function') {
    try {
      for (const [k, v] of Object.entries(d.labelCounts(source, column))) m.set(k, v);
      return m;
    } catch {
      return m; // the source went away
    }
  }
  const values = table.getChild(column);
  if (values) for (let r = 0; r < values.length; r++) {
    const v = values.get(r) as string | null;
    if (v !== null && v !== undefined) m.set(v, (m.get(v) ?? 0) + 1);
  }
  return m;
}

function labelReader(db: Database, source: string | null, column: string, table: Table | null): (row: number) => string | null {
  const d = db as unknown as LabelReads;
  if (source && column && typeof d.labelOf === 'function') {
    return (row) => {
      try {
        return d.labelOf!(source, column, row);
      } catch {
        return null;
      }
    };
  }
  const values = column && table ? table.getChild(column) : null;
  return (row) => (values?.get(row) as string | null | undefined) ?? null;
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

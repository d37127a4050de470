import { useEffect, useRef, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../../api/database';
import type { QueueStrategy, SuggesterStatus, Suggestion, TextFilter } from '../../label/types';
import { labelApi } from './label-api';

/** The newest suggester status for one source's label column, kept current through `onSuggesterUpdate`. */
export function useSuggesterStatus(db: Database, source: string | null, labelColumn: string, loaded: boolean): SuggesterStatus | null {
  const [status, setStatus] = useState<SuggesterStatus | null>(null);
  useEffect(() => {
    const api = labelApi(db);
    setStatus(null);
    if (!api || !source || !labelColumn || !loaded) return;
    let live = true;
    // NOTE: suggesterStatus throws (synchronously) for a source that is not loaded (yet): no status then.
    void new Promise<SuggesterStatus>((resolve) => resolve(api.suggesterStatus({ source, labelColumn }))).then(
      (s) => live && setStatus(s),
      () => undefined,
    );
    const off = api.onSuggesterUpdate((s) => {
      if (live && s.source === source && s.labelColumn === labelColumn) setStatus(s);
    });
    return () => {
      live = false;
      off();
    };
  }, [db, source, labelColumn, loaded]);
  return status;
}

export interface QueueRequest {
  source: string | null;
  textColumn: string;
  labelColumn: string;
  strategy: QueueStrategy;
  filter: TextFilter | null;
  /** Model version the queue should come from; a new one refetches. */
  modelVersion: number;
  /** Rows to ask for beyond a page (rows the view has passed over but that are still in the queue). */
  extra?: number;
}

const PAGE = 60;

/**
 * The next rows to label with the newest model's suggestions: a page of `suggest` results, refetched when the model,
 * the strategy or the filter changes, or when `refresh()` asks (the page runs low). Answers to stale requests are
 * dropped. Without the suggester API (an older database) the queue is the unlabelled rows in file order.
 */
export function useQueue(db: Database, table: Table | null, req: QueueRequest) {
  const [state, setState] = useState<{ items: Suggestion[]; version: number; error?: string; loading: boolean; full: boolean }>({
    items: [],
    version: -1,
    loading: false,
    full: false,
  });
  const extraRef = useRef(req.extra ?? 0);
  extraRef.current = req.extra ?? 0;
  const cache = useRef(new Map<number, Suggestion>());
  const request = useRef(0);
  const tableRef = useRef(table);
  tableRef.current = table;
  const [tick, setTick] = useState(0);
  const { source, textColumn, labelColumn, strategy, filter, modelVersion } = req;
  const filterKey = filter ? `${filter.regex ? 'r' : 'k'}:${filter.pattern}` : '';

  useEffect(() => {
    if (!source || !labelColumn || !textColumn || !table) return;
    const id = ++request.current;
    const api = labelApi(db);
    setState((s) => ({ ...s, loading: true }));
    const limit = PAGE + extraRef.current;
    const fetchItems = api
      ? call(() => api.suggest({ source, textColumn, labelColumn, strategy, filter: filter ?? undefined, limit }))
      : Promise.resolve(fileOrder(tableRef.current, textColumn, labelColumn, filter, limit));
    fetchItems.then(
      (items) => {
        if (id !== request.current) return;
        for (const s of items) cache.current.set(s.row, s);
        setState({ items, version: modelVersion, loading: false, full: items.length >= limit });
      },
      (e: Error) => id === request.current && setState((s) => ({ ...s, loading: false, error: e.message })),
    );
    // `filterKey` stands for `filter`; `tick` is a refresh; the first table (the source has loaded) starts it.
  }, [db, source, textColumn, labelColumn, strategy, filterKey, modelVersion, tick, !table]);

  useEffect(() => cache.current.clear(), [source, labelColumn]);

  return {
    ...state,
    /** The newest suggestion seen for a row (for a row brought back by undo). */
    suggestionFor: (row: number) => cache.current.get(row),
    refresh: () => setTick((t) => t + 1),
  };
}

/** Unlabelled rows in file order, no suggestions: the queue when there is no suggester. */
function fileOrder(table: Table | null, textColumn: string, labelColumn: string, filter: TextFilter | null, limit: number): Suggestion[] {
  if (!table) return [];
  const labels = table.getChild(labelColumn);
  const texts = table.getChild(textColumn);
  const test = filter ? textTest(filter) : null;
  const out: Suggestion[] = [];
  for (let r = 0; r < table.numRows && out.length < limit; r++) {
    if (labels?.get(r) != null) continue;
    if (test && !test(String(texts?.get(r) ?? ''))) continue;
    out.push({ row: r, label: null, confidence: 0, runnerUp: null, score: 0, probabilities: [], classes: [] });
  }
  return out;
}

/** A keyword (case-insensitive substring) or regex test; a bad regex matches nothing. */
export function textTest(filter: TextFilter): (text: string) => boolean {
  if (!filter.regex) {
    const k = filter.pattern.toLowerCase();
    return (t) => t.toLowerCase().includes(k);
  }
  try {
    const re = new RegExp(filter.pattern, filter.flags ?? 'i');
    return (t) => re.test(t);
  } catch {
    return () => false;
  }
}

/** The regex's error message, or null when it compiles. */
export function regexError(pattern: string): string | null {
  try {
    new RegExp(pattern, 'i');
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

/** A call that may throw synchronously or reject, as one promise. */
export const call = <T>(f: () => Promise<T>): Promise<T> => new Promise<T>((resolve) => resolve(f()));

import { useEffect, useId, useState, type MutableRefObject } from 'react';
import type { Suggestion } from '../../label/types';
import { useWorkbench } from './context';
import { labelApi } from './label-api';
import { call, regexError, textTest } from './useSuggester';

interface Criteria {
  pattern: string;
  regex: boolean;
  predicted: string;
  minConfidence: number;
  maxConfidence: number;
  includeLabelled: boolean;
  /** Only the rows most like this one (0-based; null: any), at most `similarLimit` of them. */
  similarTo: number | null;
  similarLimit: number;
}

const NONE: Criteria = { pattern: '', regex: false, predicted: '', minConfidence: 0, maxConfidence: 1, includeLabelled: false, similarTo: null, similarLimit: 50 };

/**
 * Bulk labelling: rows whose text matches a keyword or regex, whose predicted label is X, whose confidence lies in a
 * band — then "label these N rows as Y", one undo step for the whole action.
 */
export function BulkView({
  active,
  undoRef,
  modelVersion,
  similarTo,
  modelClasses = [],
}: {
  active: boolean;
  undoRef: MutableRefObject<() => void>;
  modelVersion: number;
  /** A row to start from ("similar to this row" in the focused view). */
  similarTo?: number | null;
  /** The suggester's classes (a classifier's may not be the label column's yet). */
  modelClasses?: string[];
}) {
  const w = useWorkbench();
  const id = useId();
  const { table, source, textColumn, labelColumn, classes, session } = w;
  const [c, setC] = useState<Criteria>(NONE);
  const [matches, setMatches] = useState<Suggestion[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [target, setTarget] = useState('');
  const [done, setDone] = useState<string | null>(null);
  const badRegex = c.regex && c.pattern ? regexError(c.pattern) : null;
  useEffect(() => {
    if (similarTo !== undefined && similarTo !== null) setC((x) => ({ ...x, similarTo }));
  }, [similarTo]);
  const canSimilar = typeof labelApi(w.db)?.similarRows === 'function';
  undoRef.current = () => {
    if (session.undo()) setDone(null);
  };

  // Matching rows, recomputed (debounced) as the criteria, the labels or the model change.
  useEffect(() => {
    if (!active || !source || !labelColumn || !textColumn || !table || badRegex) return;
    let live = true;
    const timer = setTimeout(() => {
      const api = labelApi(w.db);
      const filter = c.pattern ? { pattern: c.pattern, regex: c.regex } : undefined;
      const all = api
        ? call(() => api.suggest({ source, textColumn, labelColumn, strategy: 'file', filter, includeLabelled: c.includeLabelled }))
        : Promise.resolve(localMatches(table, textColumn, labelColumn, c));
      const near =
        api?.similarRows && c.similarTo !== null
          ? call(() => api.similarRows!({ source, textColumn, row: c.similarTo!, limit: c.similarLimit }))
          : Promise.resolve(null);
      Promise.all([all, near]).then(
        ([found, similar]) => {
          if (!live) return;
          setError(null);
          // Similar rows come best first: keep that order.
          const rank = similar ? new Map(similar.map((s, i) => [s.row, i])) : null;
          const rows = rank ? found.filter((s) => rank.has(s.row)).sort((a, b) => rank.get(a.row)! - rank.get(b.row)!) : found;
          setMatches(
            rows.filter(
              (s) =>
                (!c.predicted || s.label === c.predicted) &&
                (!c.predicted && c.minConfidence === 0 && c.maxConfidence === 1 ? true : s.confidence >= c.minConfidence && s.confidence <= c.maxConfidence),
            ),
          );
        },
        (e: Error) => live && setError(e.message),
      );
    }, 200);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [active, w.db, source, textColumn, labelColumn, table, c, badRegex, modelVersion]);

  if (!table || !source) return null;
  if (!labelColumn) return <p className="empty">Pick or create a label column above to label in bulk.</p>;
  const set = (patch: Partial<Criteria>) => setC((x) => ({ ...x, ...patch }));
  const n = matches?.length ?? 0;
  const texts = table.getChild(textColumn);
  const labels = table.getChild(labelColumn);
  const apply = () => {
    if (!matches || !target || n === 0) return;
    session.apply(Object.fromEntries(matches.map((s) => [s.row, target])), 'bulk');
    setDone(`Labelled ${n.toLocaleString('en-US')} rows as “${target}”.`);
  };
  return (
    <section className="panel bulk" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Label in bulk</h2>
      <form className="bulk-form" onSubmit={(e) => e.preventDefault()} aria-label="Which rows">
        <label>
          Text {c.regex ? 'matches' : 'contains'}{' '}
          <input type="search" aria-label="Bulk filter" value={c.pattern} onChange={(e) => set({ pattern: e.target.value })} aria-invalid={badRegex ? true : undefined} placeholder={c.regex ? '\\bfree\\b|prize' : 'keyword'} />
        </label>
        <label>
          <input type="checkbox" checked={c.regex} onChange={(e) => set({ regex: e.target.checked })} /> regex
        </label>
        <label>
          Predicted{' '}
          <select aria-label="Predicted label" value={c.predicted} onChange={(e) => set({ predicted: e.target.value })}>
            <option value="">any</option>
            {[...new Set([...classes, ...modelClasses])].map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <label>
          confidence from <input type="number" aria-label="Minimum confidence" min={0} max={1} step={0.05} value={c.minConfidence} onChange={(e) => set({ minConfidence: clamp01(e.target.value) })} />
        </label>
        <label>
          to <input type="number" aria-label="Maximum confidence" min={0} max={1} step={0.05} value={c.maxConfidence} onChange={(e) => set({ maxConfidence: clamp01(e.target.value, 1) })} />
        </label>
        <label>
          <input type="checkbox" checked={c.includeLabelled} onChange={(e) => set({ includeLabelled: e.target.checked })} /> include rows that have a label
        </label>
        {canSimilar && (
          <>
            <label>
              Similar to row{' '}
              <input
                type="number"
                aria-label="Similar to row"
                min={1}
                max={table.numRows}
                placeholder="any"
                value={c.similarTo === null ? '' : c.similarTo + 1}
                onChange={(e) => {
                  const n = Math.floor(Number(e.target.value));
                  set({ similarTo: e.target.value === '' || !(n >= 1 && n <= table.numRows) ? null : n - 1 });
                }}
              />
            </label>
            {c.similarTo !== null && (
              <label>
                nearest <input type="number" aria-label="How many similar rows" min={1} max={10000} value={c.similarLimit} onChange={(e) => set({ similarLimit: Math.max(1, Math.floor(Number(e.target.value) || 1)) })} />
              </label>
            )}
          </>
        )}
      </form>
      {badRegex && <p role="alert">Not a valid regular expression: {badRegex}</p>}
      {error && <p role="alert">{error}</p>}
      <div className="bulk-action">
        <span data-testid="bulk-count" aria-live="polite">
          {matches === null ? '…' : `${n.toLocaleString('en-US')} row${n === 1 ? '' : 's'} match`}
        </span>
        <label>
          Label them as{' '}
          <select aria-label="Bulk label" value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">(pick a class)</option>
            {classes.map((k) => (
              <option key={k}>{k}</option>
            ))}
          </select>
        </label>
        <button type="button" className="primary" disabled={!target || n === 0} onClick={apply}>
          Label these {n.toLocaleString('en-US')} rows{target ? ` as ${target}` : ''}
        </button>
        {done && (
          <span role="status">
            {done}{' '}
            <button type="button" onClick={() => undoRef.current()}>
              Undo
            </button>
          </span>
        )}
      </div>
      {matches && n > 0 && (
        <ul className="bulk-preview" aria-label="Matching rows">
          {matches.slice(0, 100).map((s) => (
            <li key={s.row}>
              <span className="row-number">{s.row + 1}</span> <span className="text">{String(texts?.get(s.row) ?? '')}</span>
              {labels?.get(s.row) != null && <span className="badge">{String(labels.get(s.row))}</span>}
              {s.label && (
                <span className="confidence">
                  {s.label} {(100 * s.confidence).toFixed(0)}%
                </span>
              )}
            </li>
          ))}
          {n > 100 && <li className="hint">… and {(n - 100).toLocaleString('en-US')} more</li>}
        </ul>
      )}
    </section>
  );
}

const clamp01 = (v: string, fallback = 0) => (v === '' || !Number.isFinite(Number(v)) ? fallback : Math.max(0, Math.min(1, Number(v))));

function localMatches(table: NonNullable<ReturnType<typeof useWorkbench>['table']>, textColumn: string, labelColumn: string, c: Criteria): Suggestion[] {
  const texts = table.getChild(textColumn);
  const labels = table.getChild(labelColumn);
  const test = c.pattern ? textTest({ pattern: c.pattern, regex: c.regex }) : null;
  const out: Suggestion[] = [];
  for (let r = 0; r < table.numRows; r++) {
    if (!c.includeLabelled && labels?.get(r) != null) continue;
    if (test && !test(String(texts?.get(r) ?? ''))) continue;
    out.push({ row: r, label: null, confidence: 0, runnerUp: null, score: 0, probabilities: [], classes: [] });
  }
  return out;
}

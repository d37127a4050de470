import { memo, useEffect, useRef, useState, type KeyboardEvent, type MutableRefObject } from 'react';
import type { QueueStrategy, SuggesterStatus, Suggestion, TextFilter } from '../../label/types';
import { classIndexOf, classKey } from './keys';
import { useWorkbench } from './context';
import { KeyHelp } from './KeyHelp';
import { labelApi } from './label-api';
import { regexError, useQueue } from './useSuggester';
import { StrategyPicker } from './SuggesterControls';

const isField = (t: EventTarget) => t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;

/**
 * One row at a time, in the queue's order: its text large, the other columns small, the newest model's suggestion
 * with its confidence and the runner-up. Keys: 1–9 (Shift+1–9) label, Enter or A accepts the suggestion, Space skips,
 * Backspace or Ctrl+Z undoes (back through the session), / searches, ? lists the keys. No key waits for the model:
 * a label is written in the background and the next row is already on screen.
 */
export function FocusedView({
  active,
  status,
  pickRef,
  undoRef,
  onFindSimilar,
}: {
  onFindSimilar?: (row: number) => void;
  active: boolean;
  status: SuggesterStatus | null;
  pickRef: MutableRefObject<(label: string, row?: number) => void>;
  undoRef: MutableRefObject<() => void>;
}) {
  const w = useWorkbench();
  const { table, source, labelColumn, textColumn, classes, session } = w;
  const [strategy, setStrategy] = useState<QueueStrategy>('least-confidence');
  const [filter, setFilter] = useState<TextFilter | null>(null);
  const [draft, setDraft] = useState({ pattern: '', regex: false });
  const [help, setHelp] = useState(false);
  // Rows this view has moved past (labelled or skipped) and rows brought back by undo, newest first.
  const [passed, setPassed] = useState<Set<number>>(new Set());
  const [returned, setReturned] = useState<number[]>([]);
  // The last thing a key did, numbered, so the person (and a test) can see that each key landed.
  const [last, setLast] = useState<{ seq: number; kind: 'label' | 'skip' | 'undo'; row: number; label?: string } | null>(null);
  const note = (kind: 'label' | 'skip' | 'undo', row: number, label?: string) => setLast((l) => ({ seq: (l?.seq ?? 0) + 1, kind, row, label }));
  const view = useRef<HTMLDivElement>(null);
  const search = useRef<HTMLInputElement>(null);
  // Skipped rows stay in the database's queue (they have no label): ask for that many more.
  const queue = useQueue(w.db, table, { source, textColumn, labelColumn, strategy, filter, modelVersion: status?.version ?? 0, extra: passed.size });

  useEffect(() => {
    setPassed(new Set());
    setReturned([]);
  }, [source, labelColumn, strategy, filter]);
  // Shown: the view takes the focus, so keys label at once — unless the person is moving along the step tabs.
  useEffect(() => {
    if (active && document.activeElement?.getAttribute('role') !== 'tab') view.current?.focus();
  }, [active, labelColumn, source, !table]);
  // A new model re-ranks everything: rows brought back by undo take their place in its order.
  useEffect(() => setReturned([]), [queue.version]);

  const isLabelled = (row: number) => w.labelOf(row) !== null;
  const upcoming: Suggestion[] = [];
  for (const row of returned) upcoming.push(queue.suggestionFor(row) ?? emptySuggestion(row));
  for (const s of queue.items) if (!passed.has(s.row) && !returned.includes(s.row) && !isLabelled(s.row)) upcoming.push(s);
  const current = upcoming[0] ?? null;
  const running = upcoming.length;
  useEffect(() => {
    if (!queue.loading && running < 10 && queue.full) queue.refresh();
  }, [running < 10, queue.loading]);

  const moveOn = (row: number) => {
    setPassed((p) => new Set(p).add(row));
    setReturned((r) => r.filter((x) => x !== row));
  };
  const label = (row: number, value: string) => {
    session.apply({ [row]: value });
    moveOn(row);
    note('label', row, value);
  };
  pickRef.current = (value, row) => {
    const r = row ?? current?.row;
    if (r !== undefined) label(r, value);
  };
  const undo = () => {
    const step = session.undo();
    if (!step) return;
    const rows = step.rows;
    setPassed((p) => new Set([...p].filter((r) => !rows.includes(r))));
    if (step.kind === 'bulk') queue.refresh();
    else setReturned((r) => [...rows, ...r.filter((x) => !rows.includes(x))]);
    note('undo', rows[0]);
  };
  undoRef.current = undo;

  const onKeyDown = (e: KeyboardEvent) => {
    if (isField(e.target) || e.altKey) return;
    if (e.target instanceof HTMLButtonElement && (e.key === 'Enter' || e.key === ' ')) return;
    const consume = () => {
      e.preventDefault();
      e.stopPropagation();
    };
    if (e.key === '?') return consume(), setHelp((h) => !h);
    if (e.key === 'Escape' && help) return consume(), setHelp(false);
    if (e.key === '/') return consume(), search.current?.focus();
    if (e.key === 'Backspace' || ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z')) return consume(), undo();
    if (e.ctrlKey || e.metaKey || !current) return;
    const index = classIndexOf(e);
    if (index !== null) {
      consume();
      if (classes[index] !== undefined) label(current.row, classes[index]);
      return;
    }
    if ((e.key === 'Enter' || e.key.toLowerCase() === 'a') && !e.shiftKey) {
      consume();
      if (current.label) label(current.row, current.label);
      return;
    }
    if (e.key === ' ') {
      consume();
      session.skip(current.row);
      moveOn(current.row);
      note('skip', current.row);
    }
  };

  // Focus on nothing (a click on the page, a button that became disabled): the keys still reach the view.
  const keyRef = useRef(onKeyDown);
  keyRef.current = onKeyDown;
  useEffect(() => {
    if (!active) return;
    const onDocumentKey = (e: globalThis.KeyboardEvent) => {
      if (e.target !== document.body || e.defaultPrevented) return;
      keyRef.current(e as unknown as KeyboardEvent);
    };
    document.addEventListener('keydown', onDocumentKey);
    return () => document.removeEventListener('keydown', onDocumentKey);
  }, [active]);

  if (!table || !source) return null;
  if (!labelColumn) return <p className="empty">Pick or create a label column above to start labelling.</p>;
  const badRegex = draft.regex ? regexError(draft.pattern) : null;
  const others = table.schema.fields.map((f) => f.name).filter((n) => n !== textColumn && n !== labelColumn);
  const text = current ? table.getChild(textColumn)?.get(current.row) : null;

  return (
    <div className="focused" ref={view} tabIndex={0} onKeyDown={onKeyDown} aria-label="Focused labelling" role="group">
      <div className="queue-bar">
        <StrategyPicker value={strategy} onChange={setStrategy} />
        <form
          role="search"
          onSubmit={(e) => {
            e.preventDefault();
            if (badRegex) return;
            setFilter(draft.pattern ? { pattern: draft.pattern, regex: draft.regex } : null);
            view.current?.focus();
          }}
        >
          <input
            ref={search}
            type="search"
            aria-label="Filter the queue"
            placeholder="Filter: keyword or /regex/ (press /)"
            value={draft.pattern}
            aria-invalid={badRegex ? true : undefined}
            onChange={(e) => setDraft({ ...draft, pattern: e.target.value })}
            onKeyDown={(e) => {
              if (e.key !== 'Escape') return;
              setDraft({ ...draft, pattern: '' });
              setFilter(null);
              view.current?.focus();
            }}
          />
          <label>
            <input type="checkbox" checked={draft.regex} onChange={(e) => setDraft({ ...draft, regex: e.target.checked })} /> regex
          </label>
          <button type="submit">Filter</button>
          {badRegex && <span role="alert">Not a valid regular expression: {badRegex}</span>}
        </form>
        <button type="button" className="help-button" onClick={() => setHelp(true)} aria-keyshortcuts="?">
          Keys <kbd>?</kbd>
        </button>
      </div>
      {filter && (
        <p className="hint">
          Only rows whose {textColumn} {filter.regex ? 'matches' : 'contains'} <code>{filter.pattern}</code> ·{' '}
          <button type="button" className="link" onClick={() => (setFilter(null), setDraft({ ...draft, pattern: '' }))}>
            show all
          </button>
        </p>
      )}
      {current ? (
        <article className="card" data-testid="focused-row" data-row={current.row} data-model-version={queue.version} aria-labelledby="focused-text">
          <p className="row-number">
            Row {(current.row + 1).toLocaleString('en-US')}
            {returned.includes(current.row) && ' · back from undo'}
            {onFindSimilar && typeof labelApi(w.db)?.similarRows === 'function' && (
              <>
                {' · '}
                <button type="button" className="link" onClick={() => onFindSimilar(current.row)}>
                  label similar rows…
                </button>
              </>
            )}
          </p>
          <p id="focused-text" className="focused-text">
            {text == null || text === '' ? <span className="null">(no text)</span> : String(text)}
          </p>
          {others.length > 0 && (
            <dl className="other-columns">
              {others.map((n) => {
                const v = table.getChild(n)?.get(current.row);
                return (
                  <div key={n}>
                    <dt>{n}</dt>
                    <dd>{v == null ? '∅' : String(v)}</dd>
                  </div>
                );
              })}
            </dl>
          )}
          <Suggested s={current} classes={classes} />
          <div className="pick" role="group" aria-label="Pick a class">
            {classes.map((c, i) => (
              <button key={c} type="button" className={c === current.label ? 'suggested' : undefined} onClick={() => label(current.row, c)} aria-keyshortcuts={i < 9 ? String(i + 1) : i < 18 ? `Shift+${i - 8}` : undefined}>
                {classKey(i) && <kbd>{classKey(i)}</kbd>} {c}
              </button>
            ))}
            {classes.length === 0 && <span className="hint">Add the classes above (e.g. “spam”, “ham”), then press their keys.</span>}
          </div>
        </article>
      ) : (
        <p className="empty card" data-testid="focused-row" aria-live="polite">
          {queue.loading ? 'Loading the queue…' : w.unlabelled === 0 ? 'Every row has a label.' : filter ? 'No unlabelled row matches the filter.' : 'Nothing in the queue.'}
        </p>
      )}
      <LastAction last={last} />
      <UpNext items={upcoming.slice(1, 20)} textOf={(r) => String(table.getChild(textColumn)?.get(r) ?? '')} />
      {queue.error && <p role="alert">The queue could not be read: {queue.error}</p>}
      {help && <KeyHelp onClose={() => (setHelp(false), view.current?.focus())} />}
    </div>
  );
}

function Suggested({ s, classes }: { s: Suggestion; classes: string[] }) {
  if (!s.label) return <p className="suggestion none">No suggestion yet.</p>;
  const key = classKey(classes.indexOf(s.label));
  return (
    <p className="suggestion" data-testid="suggestion">
      Suggested: <strong>{s.label}</strong> <span className="confidence">{(100 * s.confidence).toFixed(0)}%</span>
      {key && (
        <>
          {' '}
          (<kbd>Enter</kbd> accepts, or <kbd>{key}</kbd>)
        </>
      )}
      {s.runnerUp && (
        <span className="runner-up">
          {' '}
          · runner-up {s.runnerUp.label} {(100 * s.runnerUp.confidence).toFixed(0)}%
        </span>
      )}
      <meter min={0} max={1} value={s.confidence} aria-label={`Confidence in ${s.label}`} />
    </p>
  );
}

function LastAction({ last }: { last: { seq: number; kind: string; row: number; label?: string } | null }) {
  const text = !last
    ? 'Press a class key to label the row.'
    : last.kind === 'label'
      ? `Row ${last.row + 1} labelled “${last.label}”. Backspace undoes.`
      : last.kind === 'skip'
        ? `Row ${last.row + 1} skipped.`
        : `Undone: row ${last.row + 1} is back.`;
  return (
    <p className="last-action hint" aria-live="polite" data-testid="last-action" data-seq={last?.seq ?? 0} data-kind={last?.kind ?? ''} data-row={last?.row ?? ''} data-label={last?.label ?? ''}>
      {text}
    </p>
  );
}

/** The next rows in the queue: five on show, the rest of the page folded. Redrawn only when they change. */
const UpNext = memo(UpNextList, (a, b) => a.items.length === b.items.length && a.items.every((s, i) => s === b.items[i]));

function UpNextList({ items, textOf }: { items: Suggestion[]; textOf: (row: number) => string }) {
  if (items.length === 0) return null;
  const item = (s: Suggestion) => (
    <li key={s.row} data-row={s.row}>
      <span className="row-number">{s.row + 1}</span> {textOf(s.row).slice(0, 140)}
      {s.label && (
        <span className="confidence">
          {' '}
          {s.label} {(100 * s.confidence).toFixed(0)}%
        </span>
      )}
    </li>
  );
  return (
    <section className="up-next" aria-label="Up next">
      <h3>Up next</h3>
      <ol>{items.slice(0, 5).map(item)}</ol>
      {items.length > 5 && (
        <details>
          <summary>{items.length - 5} more</summary>
          <ol start={6}>{items.slice(5).map(item)}</ol>
        </details>
      )}
    </section>
  );
}

const emptySuggestion = (row: number): Suggestion => ({ row, label: null, confidence: 0, runnerUp: null, score: 0, probabilities: [], classes: [] });

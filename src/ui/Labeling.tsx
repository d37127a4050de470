import { useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../api/database';

/** What the table view needs to let the user label rows. */
export interface RowLabeling {
  selected: number | null;
  select(row: number): void;
  /** A key pressed on the selected row; true when it was a labeling key. */
  onKey(e: KeyboardEvent, row: number): boolean;
  /** Labels given to each row so far, for the row's badge. */
  labelOf(row: number): string | null;
}

export const ROW_MIME = 'application/x-jammi-row';

/**
 * Labeling state for one source: a text column that holds labels (new or existing), its classes, the selected
 * row, and an undo stack. Keys 1–9 label the selected row with that class and move down; 0 or Delete clears;
 * Ctrl+Z undoes. Rows can also be dragged onto a class.
 */
export function useLabeling(db: Database, source: string | null, table: Table | null) {
  const [column, setColumn] = useState('');
  const [extra, setExtra] = useState<string[]>([]);
  const [selected, setSelected] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const undo = useRef<{ row: number; before: string | null }[]>([]);
  const [undoCount, setUndoCount] = useState(0);

  useEffect(() => {
    setColumn('');
    setExtra([]);
    setSelected(null);
    undo.current = [];
    setUndoCount(0);
  }, [source]);

  const values = column && table ? table.getChild(column) : null;
  const counts = useMemo(() => {
    const m = new Map<string, number>();
    if (values) for (let r = 0; r < values.length; r++) {
      const v = values.get(r);
      if (v !== null && v !== undefined) m.set(String(v), (m.get(String(v)) ?? 0) + 1);
    }
    return m;
  }, [values]);
  // The class order (and so each class's key) stays put: the column's classes when it was picked, then added ones.
  useEffect(() => setExtra([...counts.keys()].sort()), [column]);
  const classes = useMemo(() => [...extra, ...[...counts.keys()].filter((k) => !extra.includes(k)).sort()], [counts, extra]);

  // Label changes and undos run one after another, in the order the keys were pressed.
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const enqueue = (work: () => Promise<void>) => {
    queue.current = queue.current.then(work).catch((e: Error) => setError(e.message));
  };
  const assign = (row: number, label: string | null) => {
    if (!source || !column || !table) return;
    const before = (values?.get(row) as string | null | undefined) ?? null;
    setError(null);
    enqueue(async () => {
      await db.setLabels(source, column, { [row]: label });
      undo.current.push({ row, before });
      setUndoCount(undo.current.length);
    });
  };
  const undoLast = () =>
    enqueue(async () => {
      const last = undo.current.pop();
      setUndoCount(undo.current.length);
      if (!last || !source || !column) return;
      await db.setLabels(source, column, { [last.row]: last.before });
      setSelected(last.row);
    });

  const rows: RowLabeling | undefined =
    column && table
      ? {
          selected,
          select: setSelected,
          labelOf: (row) => (values?.get(row) as string | null | undefined) ?? null,
          onKey(e, row) {
            if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
              undoLast();
              return true;
            }
            if (/^[1-9]$/.test(e.key) && classes[Number(e.key) - 1] !== undefined) {
              assign(row, classes[Number(e.key) - 1]);
              setSelected(Math.min(table.numRows - 1, row + 1));
              return true;
            }
            if (e.key === '0' || e.key === 'Delete' || e.key === 'Backspace') {
              assign(row, null);
              return true;
            }
            return false;
          },
        }
      : undefined;

  const names = table ? table.schema.fields.filter((f) => String(f.type) === 'Utf8').map((f) => f.name) : [];
  const bar = table && source && (
    <section className="label-bar" aria-label="Label rows">
      <label>
        Label rows in{' '}
        <select
          aria-label="Label column"
          value={column}
          onChange={(e) => {
            let c = e.target.value;
            if (c === '\u0000new') c = window.prompt('Name of the new label column', 'label')?.trim() ?? '';
            setColumn(c);
          }}
        >
          <option value="">(not labeling)</option>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
          {column && !names.includes(column) && <option>{column}</option>}
          <option value={'\u0000new'}>new column…</option>
        </select>
      </label>
      {column && (
        <>
          <ul className="classes" aria-label="Classes">
            {classes.map((c, i) => (
              <li key={c}>
                <button
                  type="button"
                  className="class-chip"
                  title={`Label the selected row "${c}"${i < 9 ? ` (key ${i + 1})` : ''}; or drop a row here`}
                  onClick={() => selected !== null && assign(selected, c)}
                  onDragOver={(e) => e.dataTransfer.types.includes(ROW_MIME) && e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault();
                    const row = Number(e.dataTransfer.getData(ROW_MIME));
                    if (Number.isInteger(row)) assign(row, c);
                  }}
                >
                  {i < 9 && <kbd>{i + 1}</kbd>} {c} <span className="count">{(counts.get(c) ?? 0).toLocaleString('en-US')}</span>
                </button>
              </li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const input = e.currentTarget.elements.namedItem('cls') as HTMLInputElement;
              const c = input.value.trim();
              if (c && !classes.includes(c)) setExtra((x) => [...x, c]);
              input.value = '';
            }}
          >
            <input name="cls" placeholder="new class" aria-label="New class" size={12} />
            <button type="submit">Add class</button>
          </form>
          <button type="button" onClick={undoLast} disabled={undoCount === 0}>
            Undo
          </button>
          <p className="hint">Select a row, press 1–9 to label it (0 clears), ↑/↓ to move, Ctrl+Z to undo — or drag a row onto a class.</p>
          {error && <p role="alert">{error}</p>}
        </>
      )}
    </section>
  );
  return { rows, bar };
}

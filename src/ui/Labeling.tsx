import { useRef, useState, type MutableRefObject } from 'react';
import { useWorkbench } from './workbench/context';
import { ROW_MIME, TableView, type RowLabeling } from './TableView';
import { classIndexOf, classKey } from './workbench/keys';


/**
 * The labelling bar of the Label step: which column holds the labels (new or existing) and which holds the text,
 * the classes with their keys and counts (click one to label the current row, or drop a row on it), new classes,
 * undo, and the session's counts.
 */
export function LabelBar({ onPick, onUndo }: { onPick: (label: string, row?: number) => void; onUndo: () => void }) {
  const w = useWorkbench();
  const { table, labelColumn: column, classes, counts, session } = w;
  if (!table || !w.source) return null;
  const names = w.textColumns;
  return (
    <section className="label-bar panel" aria-label="Label rows">
      <label>
        Label rows in{' '}
        <select
          aria-label="Label column"
          value={column}
          onChange={(e) => {
            let c = e.target.value;
            if (c === '\u0000new') c = window.prompt('Name of the new label column', 'label')?.trim() ?? '';
            w.setLabelColumn(c);
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
      <label>
        Text{' '}
        <select aria-label="Text column" value={w.textColumn} onChange={(e) => w.setTextColumn(e.target.value)}>
          {names.map((n) => (
            <option key={n}>{n}</option>
          ))}
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
                  title={`Label the current row "${c}"${classKey(i) ? ` (key ${classKey(i)})` : ''}; or drop a row here`}
                  onClick={() => onPick(c)}
                  onDragOver={(e) => e.dataTransfer.types.includes(ROW_MIME) && e.preventDefault()}
                  onDrop={(e) => {
                    e.preventDefault();
                    const row = Number(e.dataTransfer.getData(ROW_MIME));
                    if (Number.isInteger(row)) onPick(c, row);
                  }}
                >
                  {classKey(i) && <kbd>{classKey(i)}</kbd>} {c}{' '}
                  <span className="count" data-testid={`class-count-${c}`}>
                    {(counts.get(c) ?? 0).toLocaleString('en-US')}
                  </span>
                </button>
              </li>
            ))}
          </ul>
          <form
            onSubmit={(e) => {
              e.preventDefault();
              const input = e.currentTarget.elements.namedItem('cls') as HTMLInputElement;
              w.addClass(input.value);
              input.value = '';
            }}
          >
            <input name="cls" placeholder="new class" aria-label="New class" size={12} />
            <button type="submit">Add class</button>
          </form>
          <button type="button" onClick={onUndo} disabled={session.steps === 0}>
            Undo
          </button>
          <p className="session-stats" aria-live="polite">
            <span data-testid="session-labelled">{session.labelled.toLocaleString('en-US')}</span> labelled this session ·{' '}
            <span data-testid="unlabelled">{w.unlabelled.toLocaleString('en-US')}</span> unlabelled of {table.numRows.toLocaleString('en-US')}
          </p>
          {session.error && <p role="alert">{session.error}</p>}
        </>
      )}
    </section>
  );
}

/** The Label step's table: select a row, press 1–9 (Shift for 10–18) to label it, 0 clears, ↑/↓ move, Ctrl+Z undoes. */
export function LabelTable({ pickRef, undo }: { pickRef: MutableRefObject<(label: string, row?: number) => void>; undo: () => number | undefined }) {
  const { table, source, labelColumn, classes, session, labelOf } = useWorkbench();
  const [selected, setSelected] = useState<number | null>(null);
  const selectedRef = useRef(selected);
  selectedRef.current = selected;
  pickRef.current = (label, row) => {
    const r = row ?? selectedRef.current;
    if (r !== null && r !== undefined) session.apply({ [r]: label });
  };
  if (!table || !source) return null;
  const rows: RowLabeling | undefined = labelColumn
    ? {
        selected,
        select: setSelected,
        labelOf,
        onKey(e, row) {
          if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'z') {
            const back = undo();
            if (back !== undefined) setSelected(back);
            return true;
          }
          const index = classIndexOf(e);
          if (index !== null && classes[index] !== undefined) {
            session.apply({ [row]: classes[index] });
            setSelected(Math.min(table.numRows - 1, row + 1));
            return true;
          }
          if (e.key === '0' || e.key === 'Delete' || e.key === 'Backspace') {
            session.apply({ [row]: null });
            return true;
          }
          return false;
        },
      }
    : undefined;
  return (
    <>
      <p className="hint">Select a row, press 1–9 to label it (Shift+1–9 for classes 10–18, 0 clears), ↑/↓ to move, Ctrl+Z to undo — or drag a row onto a class.</p>
      <TableView table={table} label={`Rows of ${source}`} labeling={rows} />
    </>
  );
}

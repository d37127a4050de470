import { useRef, useState, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Table } from 'apache-arrow';

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

const ROW_HEIGHT = 28;

/**
 * A virtualised view of an Arrow table: only the rows on screen are rendered, read straight from the Arrow
 * columns, so a million rows scroll as smoothly as ten. Focus it and use the arrow keys, Page Up/Down, Home, End.
 * The selected row is shown in full below the grid (long text wraps there); Enter or a click selects.
 */
export function TableView({ table, label, labeling: given }: { table: Table; label: string; labeling?: RowLabeling }) {
  const scroller = useRef<HTMLDivElement>(null);
  const [ownSelected, setOwnSelected] = useState<number | null>(null);
  // Without labelling the grid still has a selection, so that a row can be read in full.
  const labeling: RowLabeling = given ?? { selected: ownSelected, select: setOwnSelected, onKey: () => false, labelOf: () => null };
  const selected = labeling.selected !== null && labeling.selected < table.numRows ? labeling.selected : null;
  const names = table.schema.fields.map((f) => f.name);
  const columns = names.map((_, i) => table.getChildAt(i)!);
  const virtualizer = useVirtualizer({
    count: table.numRows,
    getScrollElement: () => scroller.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 10,
  });

  const onKeyDown = (e: KeyboardEvent) => {
    const el = scroller.current;
    if (!el) return;
    if (table.numRows > 0) {
      const row = labeling.selected ?? 0;
      if (labeling.selected !== null && labeling.onKey(e, row)) {
        e.preventDefault();
        if (labeling.selected !== null) virtualizer.scrollToIndex(Math.min(table.numRows - 1, row + 1), { align: 'auto' });
        return;
      }
      const pageRows = Math.max(1, Math.floor(el.clientHeight / ROW_HEIGHT) - 2);
      const moves: Record<string, number> = { ArrowDown: 1, ArrowUp: -1, PageDown: pageRows, PageUp: -pageRows, Home: -Infinity, End: Infinity };
      if (e.key in moves) {
        e.preventDefault();
        const next = Math.max(0, Math.min(table.numRows - 1, (labeling.selected ?? -1) + moves[e.key]));
        labeling.select(next);
        virtualizer.scrollToIndex(next, { align: 'auto' });
        return;
      }
    }
  };

  const gridColumns = `5rem repeat(${names.length}, minmax(8rem, 1fr))`;
  return (
    <div className="table-view">
      <div
        ref={scroller}
        className="table-scroll"
        tabIndex={0}
        role="grid"
        aria-label={label}
        aria-rowcount={table.numRows + 1}
        aria-colcount={names.length + 1}
        onKeyDown={onKeyDown}
      >
        <div className="table-header" role="row" style={{ gridTemplateColumns: gridColumns }}>
          <span role="columnheader" className="rownum">
            #
          </span>
          {names.map((n) => (
            <span role="columnheader" key={n} title={`${n} (${table.schema.fields.find((f) => f.name === n)?.type})`}>
              {n}
            </span>
          ))}
        </div>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualizer.getVirtualItems().map((item) => (
            <div
              key={item.key}
              role="row"
              aria-rowindex={item.index + 2}
              aria-selected={selected === item.index}
              onClick={() => labeling.select(item.index)}
              draggable={given ? true : undefined}
              onDragStart={given ? (e) => e.dataTransfer.setData(ROW_MIME, String(item.index)) : undefined}
              className={`table-row${selected === item.index ? ' selected' : ''}`}
              style={{ transform: `translateY(${item.start}px)`, height: ROW_HEIGHT, gridTemplateColumns: gridColumns }}
            >
              <span role="gridcell" className="rownum">
                {item.index + 1}
              </span>
              {columns.map((col, c) => {
                const v = col.get(item.index);
                return (
                  <span role="gridcell" key={c} className={v === null ? 'null' : undefined} title={v === null ? 'null' : String(v)}>
                    {v === null ? '∅' : String(v)}
                  </span>
                );
              })}
            </div>
          ))}
        </div>
      </div>
      {selected !== null && (
        <dl className="row-detail" aria-label={`Row ${selected + 1} in full`}>
          {names.map((n, c) => {
            const v = columns[c].get(selected);
            return (
              <div key={n}>
                <dt>{n}</dt>
                <dd className={v === null ? 'null' : undefined}>{v === null ? '∅' : String(v)}</dd>
              </div>
            );
          })}
        </dl>
      )}
    </div>
  );
}

import { useRef, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { Table } from 'apache-arrow';
import { ROW_MIME, type RowLabeling } from './Labeling';

const ROW_HEIGHT = 28;

/**
 * A virtualised view of an Arrow table: only the rows on screen are rendered, read straight from the Arrow
 * columns, so a million rows scroll as smoothly as ten. Focus it and use the arrow keys, Page Up/Down, Home, End.
 */
export function TableView({ table, label, labeling }: { table: Table; label: string; labeling?: RowLabeling }) {
  const scroller = useRef<HTMLDivElement>(null);
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
    if (labeling && table.numRows > 0) {
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
    const page = el.clientHeight - ROW_HEIGHT * 2;
    const moves: Record<string, number> = { ArrowDown: ROW_HEIGHT, ArrowUp: -ROW_HEIGHT, PageDown: page, PageUp: -page, Home: -Infinity, End: Infinity };
    if (!(e.key in moves)) return;
    e.preventDefault();
    const to = Math.max(0, Math.min(el.scrollHeight, el.scrollTop + moves[e.key]));
    el.scrollTop = to;
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
              aria-selected={labeling ? labeling.selected === item.index : undefined}
              onClick={labeling ? () => labeling.select(item.index) : undefined}
              draggable={labeling ? true : undefined}
              onDragStart={labeling ? (e) => e.dataTransfer.setData(ROW_MIME, String(item.index)) : undefined}
              className={`table-row${labeling?.selected === item.index ? ' selected' : ''}`}
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
    </div>
  );
}

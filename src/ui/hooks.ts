import { useEffect, useState, type DragEvent } from 'react';
import type { Database, SourceInfo } from '../api/database';
import type { FineTunedModel } from '../api/fine-tune';

/** A list from the database, kept current through its `change` events. */
function useDbList<T>(db: Database, read: (db: Database) => Promise<T[]>): T[] {
  const [items, setItems] = useState<T[]>([]);
  useEffect(() => {
    let live = true;
    // Most changes (a label) leave these lists as they were: keep the old array, so nothing redraws for them.
    const refresh = () => void read(db).then((s) => live && setItems((old) => (sameItems(old, s) ? old : s)));
    refresh();
    db.addEventListener('change', refresh);
    return () => {
      live = false;
      db.removeEventListener('change', refresh);
    };
    // `read` is one of the fixed readers below.
  }, [db]);
  return items;
}

function sameItems<T>(a: T[], b: T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i] || JSON.stringify(x) === JSON.stringify(b[i]));
}

export const useSources = (db: Database): SourceInfo[] => useDbList(db, (d) => d.listSources());

export const useFineTuned = (db: Database): FineTunedModel[] => useDbList(db, (d) => d.listFineTuned());

/** A drop zone: `dragging` while something is held over it, and the handlers for its element. */
export function useDropZone(onDrop: (data: DataTransfer) => void) {
  const [dragging, setDragging] = useState(false);
  const props = {
    onDragOver: (e: DragEvent) => {
      e.preventDefault();
      setDragging(true);
    },
    onDragLeave: () => setDragging(false),
    onDrop: (e: DragEvent) => {
      e.preventDefault();
      setDragging(false);
      onDrop(e.dataTransfer);
    },
  };
  return { className: `dropzone${dragging ? ' dragging' : ''}`, props };
}

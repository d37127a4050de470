import { useEffect, useMemo, useRef, useState } from 'react';
import type { Database } from '../../api/database';
import type { LabelEditsInput } from '../../label/types';
import { setLabelsWithChange } from './label-api';

/** One step of the session's undo history. A bulk action is one step however many rows it labels. */
export interface SessionStep {
  kind: 'label' | 'bulk' | 'skip';
  rows: number[];
  /** The labels as set (empty for a skip). */
  next: LabelEditsInput;
  /** What the rows held before; filled in when the edit has been written. */
  previous?: LabelEditsInput;
}

export interface LabelSession {
  /** Labels rows (one undo step); edits are written one after another in the order they were made. */
  apply(edits: LabelEditsInput, kind?: 'label' | 'bulk'): void;
  /** Records a skipped row, so that undo walks back over it too. */
  skip(row: number): void;
  /** Reverts the newest step and returns it (synchronously: the view can show its row at once). */
  undo(): SessionStep | undefined;
  steps: number;
  /** Distinct rows given a label in this session and not undone. */
  labelled: number;
  error: string | null;
  /** Resolves when every edit made so far has been written. */
  settled(): Promise<void>;
}

/**
 * The labelling session for one source's label column: one undo history shared by the focused view, the table and
 * bulk actions (Backspace / Ctrl+Z walk back through all of it), and one write queue, so edits land in key order.
 */
export function useLabelSession(db: Database, source: string | null, column: string): LabelSession {
  const history = useRef<SessionStep[]>([]);
  const [version, setVersion] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const queue = useRef<Promise<unknown>>(Promise.resolve());
  const bump = () => setVersion((v) => v + 1);

  useEffect(() => {
    history.current = [];
    setError(null);
    bump();
  }, [db, source, column]);

  const enqueue = (work: () => Promise<void>) => {
    queue.current = queue.current.then(work).catch((e: Error) => setError(e.message));
  };

  const labelled = useMemo(() => {
    const rows = new Set<number>();
    for (const s of history.current) if (s.kind !== 'skip') for (const r of s.rows) rows.add(r);
    return rows.size;
    // `version` changes whenever the history does.
  }, [version]);

  return {
    apply(edits, kind = 'label') {
      if (!source || !column) return;
      const rows = Object.keys(edits).map(Number);
      if (rows.length === 0) return;
      const step: SessionStep = { kind, rows, next: edits };
      history.current.push(step);
      setError(null);
      bump();
      enqueue(async () => {
        const change = await setLabelsWithChange(db, source, column, edits);
        step.previous = change.previous;
      });
    },
    skip(row) {
      history.current.push({ kind: 'skip', rows: [row], next: {} });
      bump();
    },
    undo() {
      const step = history.current.pop();
      if (!step) return undefined;
      bump();
      if (step.kind !== 'skip' && source && column) {
        enqueue(async () => {
          if (step.previous) await setLabelsWithChange(db, source, column, step.previous);
        });
      }
      return step;
    },
    steps: history.current.length,
    labelled,
    error,
    settled: () => queue.current.then(() => undefined),
  };
}

import { useRef, useState } from 'react';
import { LabelBar, LabelTable } from '../Labeling';
import { BulkView } from '../workbench/BulkView';
import { useStepActive, useWorkbench } from '../workbench/context';
import { FocusedView } from '../workbench/FocusedView';
import { LABEL_VIEWS, type LabelView } from '../workbench/location';
import { SuggesterControls } from '../workbench/SuggesterControls';
import { useSuggesterStatus } from '../workbench/useSuggester';

const VIEW_NAMES: Record<LabelView, string> = { focused: 'One at a time', table: 'Table', bulk: 'Bulk' };

/** Step 2: the label column and classes, then one of three ways to label — focused, table, bulk — and the suggester. */
export function LabelStep() {
  const w = useWorkbench();
  const active = useStepActive();
  const status = useSuggesterStatus(w.db, w.source, w.labelColumn, !!w.table);
  // Clicking (or dropping a row on) a class, and Undo, act in the view on screen.
  const pick = useRef<(label: string, row?: number) => void>(() => undefined);
  const undo = useRef<() => void>(() => void w.session.undo());
  const [similarTo, setSimilarTo] = useState<number | null>(null);
  if (!w.source || !w.table) return <p className="empty">Load a source in the Data step (or the sample data) to label it.</p>;
  return (
    <div className="label-step">
      <LabelBar onPick={(label, row) => pick.current(label, row)} onUndo={() => undo.current()} />
      <div className="view-switch" role="group" aria-label="Labelling view">
        {LABEL_VIEWS.map((v) => (
          <button key={v} type="button" aria-pressed={w.view === v} onClick={() => w.setView(v)}>
            {VIEW_NAMES[v]}
          </button>
        ))}
      </div>
      <div className="label-columns">
        <div className="label-main">
          {w.view === 'focused' && (
            <FocusedView
              active={active}
              status={status}
              pickRef={pick}
              undoRef={undo}
              onFindSimilar={(row) => {
                setSimilarTo(row);
                w.setView('bulk');
              }}
            />
          )}
          {w.view === 'table' && (
            <LabelTable
              pickRef={pick}
              undo={() => {
                const step = w.session.undo();
                return step?.rows[0];
              }}
            />
          )}
          {w.view === 'bulk' && <BulkView active={active} undoRef={undo} modelVersion={status?.version ?? 0} similarTo={similarTo} modelClasses={status?.classes} />}
        </div>
        <aside className="label-side">
          <SuggesterControls status={status} />
        </aside>
      </div>
    </div>
  );
}

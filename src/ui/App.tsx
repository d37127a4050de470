import type { ReactElement } from 'react';
import type { Database } from '../api/database';
import { OfflineIndicator } from './OfflineIndicator';
import { ClassifyStep } from './steps/ClassifyStep';
import { DataStep } from './steps/DataStep';
import { ExportStep } from './steps/ExportStep';
import { LabelStep } from './steps/LabelStep';
import { TrainStep } from './steps/TrainStep';
import { StepBody, useWorkbench, WorkbenchProvider } from './workbench/context';
import { STEPS, type StepId } from './workbench/location';
import { panelId, StepTabs, tabId } from './workbench/StepTabs';

// Created once: a step redraws from its own state and the (frozen while hidden) workbench context, not from the shell.
const BODIES: Record<StepId, ReactElement> = {
  data: <DataStep />,
  label: <LabelStep />,
  train: <TrainStep />,
  classify: <ClassifyStep />,
  export: <ExportStep />,
};

export function App({ db }: { db: Database }) {
  return (
    <WorkbenchProvider db={db}>
      <Workbench />
    </WorkbenchProvider>
  );
}

/**
 * The app as the steps people take: Data → Label → Train → Classify → Export. Every step stays mounted (a training
 * run or a classification keeps going while you label); only the current one is shown.
 */
function Workbench() {
  const w = useWorkbench();
  return (
    <div className="app">
      <header>
        <div className="brand">
          <h1>jammi-web</h1>
          <p>Private text classification: your files are processed in this browser and never uploaded.</p>
          <OfflineIndicator db={w.db} />
        </div>
        {w.source && (
          <p className="current" aria-label="Current source">
            <strong>{w.source}</strong>
            {w.labelColumn && (
              <>
                {' '}
                · labels in <code>{w.labelColumn}</code>
              </>
            )}
            {w.textColumn && (
              <>
                {' '}
                · text in <code>{w.textColumn}</code>
              </>
            )}
          </p>
        )}
      </header>
      <StepTabs step={w.step} onChange={w.go} />
      <main>
        {STEPS.map((s) => (
          <section key={s.id} role="tabpanel" id={panelId(s.id)} aria-labelledby={tabId(s.id)} hidden={w.step !== s.id} className="step">
            <StepBody active={w.step === s.id}>{BODIES[s.id]}</StepBody>
          </section>
        ))}
      </main>
    </div>
  );
}

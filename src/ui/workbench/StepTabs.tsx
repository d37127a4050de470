import { useEffect, useRef, type KeyboardEvent } from 'react';
import { STEPS, type StepId } from './location';

export const tabId = (step: StepId) => `step-tab-${step}`;
export const panelId = (step: StepId) => `step-panel-${step}`;

/**
 * The workflow's steps as tabs: ←/→ (and Home/End) move between them, each has an access key
 * (Alt+D, Alt+L, Alt+T, Alt+C, Alt+E in Chromium), and the step is kept in the URL hash.
 */
export function StepTabs({ step, onChange }: { step: StepId; onChange: (s: StepId) => void }) {
  const list = useRef<HTMLDivElement>(null);
  // Alt+<key> from anywhere (the access keys, also where the browser keeps Alt for itself or a test sends the keys).
  const change = useRef(onChange);
  change.current = onChange;
  useEffect(() => {
    const onKey = (e: globalThis.KeyboardEvent) => {
      if (!e.altKey || e.ctrlKey || e.metaKey) return;
      const s = STEPS.find((x) => e.code === `Key${x.key.toUpperCase()}`);
      if (!s) return;
      e.preventDefault();
      change.current(s.id);
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  const focusTab = (s: StepId) => list.current?.querySelector<HTMLButtonElement>(`#${tabId(s)}`)?.focus();
  const onKeyDown = (e: KeyboardEvent) => {
    const i = STEPS.findIndex((s) => s.id === step);
    const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: STEPS.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const next = STEPS[(to + STEPS.length) % STEPS.length].id;
    onChange(next);
    focusTab(next);
  };
  return (
    <nav className="steps" aria-label="Workflow">
      <div role="tablist" aria-label="Steps" ref={list} onKeyDown={onKeyDown}>
        {STEPS.map((s, i) => (
          <button
            key={s.id}
            type="button"
            role="tab"
            id={tabId(s.id)}
            aria-controls={panelId(s.id)}
            aria-selected={s.id === step}
            tabIndex={s.id === step ? 0 : -1}
            accessKey={s.key}
            title={`${s.hint} (Alt+${s.key.toUpperCase()})`}
            onClick={() => onChange(s.id)}
          >
            <span className="step-number" aria-hidden="true">
              {i + 1}
            </span>
            {s.title}
          </button>
        ))}
      </div>
    </nav>
  );
}

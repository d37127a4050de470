import { useEffect, useId, useState } from 'react';
import type { ClassifierSource, ClassifierSuggesterStatus, SuggesterChoice, SuggesterStatus } from '../../label/types';
import { DEFAULT_HOST, ModelPicker, modelChosen, type ModelChoice } from '../classify/ModelPicker';
import { useFineTuned } from '../hooks';
import { useWorkbench } from './context';
import { labelApi } from './label-api';

const FINE_TUNED = 'jammi:fine-tuned:';

/** The model picker's choice for the classifier in use (a folder must be picked again: its files are not kept). */
function pickerChoice(c: ClassifierSuggesterStatus | undefined): ModelChoice {
  if (!c) return { kind: 'served', id: '' };
  if (c.source.folder) return { kind: 'local', model: null };
  if (c.model.startsWith(FINE_TUNED)) return { kind: 'fine-tuned', id: c.model };
  if (c.source.modelSource === 'hub') return { kind: 'hub', id: c.model, host: c.source.hubHost ?? DEFAULT_HOST };
  return { kind: 'served', id: c.model };
}

/** What `setSuggesterOptions` takes for a picked model. */
function suggesterOf(c: ModelChoice): { suggester: SuggesterChoice; classifierSource?: ClassifierSource } {
  switch (c.kind) {
    case 'served':
      return { suggester: { kind: 'classifier', model: c.id }, classifierSource: { modelSource: 'served' } };
    case 'hub':
      return { suggester: { kind: 'classifier', model: c.id.trim() }, classifierSource: { modelSource: 'hub', hubHost: c.host } };
    case 'local':
      return { suggester: { kind: 'classifier', model: c.model!.name }, classifierSource: { folder: c.model! } };
    case 'fine-tuned':
    case 'suggester':
      return { suggester: { kind: 'classifier', model: c.id } };
    default:
      return c satisfies never;
  }
}

/**
 * Which model suggests: the TF-IDF classifier (default, no download, retrained on the labels) or any classifier's
 * own predictions — a served model, a Hub id, a local folder or a fine-tuned model — as pre-labels. The choice is
 * kept per source and label column (a reload keeps it).
 */
export function SuggesterPicker({ status }: { status: SuggesterStatus | null }) {
  const w = useWorkbench();
  const id = useId();
  const api = labelApi(w.db);
  const inUse = status?.suggester?.kind === 'classifier' ? 'classifier' : 'tfidf';
  const [kind, setKind] = useState<'tfidf' | 'classifier'>(inUse);
  const [model, setModel] = useState<ModelChoice>(() => pickerChoice(status?.classifier));
  const [error, setError] = useState<string | null>(null);
  const fineTuned = useFineTuned(w.db);
  // The choice in use (restored after a reload, or changed through the API) shows as picked.
  useEffect(() => {
    setKind(inUse);
    if (status?.classifier) setModel(pickerChoice(status.classifier));
  }, [inUse, status?.classifier?.model, status?.source, status?.labelColumn]);
  // A classifier kept from the last visit starts once it knows the text column (the Label step's queue tells it too).
  const idle = status?.classifier?.state === 'idle';
  useEffect(() => {
    if (idle && api && w.source && w.labelColumn) api.setSuggesterOptions({ source: w.source, labelColumn: w.labelColumn, textColumn: w.textColumn });
  }, [idle, w.source, w.labelColumn, w.textColumn]);
  if (!api || !w.source || !w.labelColumn) return null;
  const key = { source: w.source, labelColumn: w.labelColumn, textColumn: w.textColumn };
  const apply = (choice: { suggester: SuggesterChoice; classifierSource?: ClassifierSource }) => {
    setError(null);
    try {
      api.setSuggesterOptions({ ...key, ...choice });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const c = status?.classifier;
  return (
    <fieldset className="suggester-picker">
      <legend>Suggestions from</legend>
      <div role="radiogroup" aria-label="Suggester" className="choices">
        <label>
          <input
            type="radio"
            name={`${id}-kind`}
            checked={kind === 'tfidf'}
            onChange={() => {
              setKind('tfidf');
              apply({ suggester: { kind: 'tfidf' } });
            }}
          />
          TF-IDF (no download)
        </label>
        <label>
          <input type="radio" name={`${id}-kind`} checked={kind === 'classifier'} onChange={() => setKind('classifier')} />
          A classifier's predictions
        </label>
      </div>
      {kind === 'classifier' && (
        <>
          <ModelPicker value={model} onChange={setModel} fineTuned={fineTuned} />
          <button type="button" disabled={!modelChosen(model)} onClick={() => apply(suggesterOf(model))}>
            Use as suggester
          </button>
          <p className="hint">Its own predictions become the suggestions (pre-labels): it runs once over “{w.textColumn}” and does not retrain on your labels.</p>
        </>
      )}
      {c && <ClassifierState c={c} classes={w.classes} onCancel={() => (setKind('tfidf'), apply({ suggester: { kind: 'tfidf' } }))} onAddClasses={(missing) => missing.forEach((m) => w.addClass(m))} />}
      {error && <p role="alert">{error}</p>}
    </fieldset>
  );
}

/** The classifier's run: progress with Cancel, its classes (and those the label column lacks), its accuracy, or its error. */
function ClassifierState({ c, classes, onCancel, onAddClasses }: { c: ClassifierSuggesterStatus; classes: string[]; onCancel: () => void; onAddClasses: (missing: string[]) => void }) {
  if (c.state === 'failed') return <p role="alert" data-testid="classifier-state" data-state="failed">{c.error}</p>;
  if (c.state !== 'ready') {
    return (
      <p className="retrain training" data-testid="classifier-state" data-state={c.state}>
        <span className="spinner" aria-hidden="true" />
        Running {c.model} over “{c.textColumn}”: {c.rows.toLocaleString('en-US')} / {c.total.toLocaleString('en-US')} rows{' '}
        <progress max={Math.max(1, c.total)} value={c.rows} aria-label={`Running ${c.model}`} />{' '}
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </p>
    );
  }
  const missing = c.classes.filter((m) => !classes.includes(m));
  return (
    <div className="classifier-ready" data-testid="classifier-state" data-state="ready">
      <p>
        <strong>{c.model}</strong> predicts {c.classes.join(', ')}
        {c.from === 'storage' ? ' (its predictions from an earlier visit)' : c.from === 'memory' ? ' (its predictions from earlier in this visit)' : ''}.
        {c.accuracy && ` On your ${c.accuracy.labels} labels so far it is right ${(100 * c.accuracy.accuracy).toFixed(0)}% of the time.`}
      </p>
      {missing.length > 0 && (
        <p className="warning">
          Not classes of this label column yet: {missing.join(', ')}. Accepting its suggestion writes its class.{' '}
          <button type="button" onClick={() => onAddClasses(missing)}>
            Add them as classes
          </button>
        </p>
      )}
    </div>
  );
}

import { useEffect, useId, useState } from 'react';
import type { ClassifierSource, SuggesterChoice, SuggesterStatus } from '../../label/types';
import { ModelPicker, modelChosen, type ModelChoice } from '../classify/ModelPicker';
import { useFineTuned } from '../hooks';
import { ClassifierState, pickerChoice, suggesterOf } from './ClassifierState';
import { useWorkbench } from './context';
import { EmbeddingChooser, EmbeddingState } from './EmbeddingChooser';
import { labelApi } from './label-api';

type Kind = SuggesterChoice['kind'];

const KINDS: { kind: Kind; name: string }[] = [
  { kind: 'tfidf', name: 'TF-IDF (no download)' },
  { kind: 'embedding', name: 'An embedding model (head on frozen embeddings)' },
  { kind: 'classifier', name: "A classifier's predictions" },
];

/** The active suggester in words. */
export function suggesterName(choice: SuggesterChoice | undefined): string {
  if (!choice || choice.kind === 'tfidf') return 'TF-IDF linear classifier (no download)';
  return choice.kind === 'embedding' ? `Softmax head on ${choice.model} embeddings` : `${choice.model}'s own predictions`;
}

/**
 * Which model suggests, one choice per source and label column (the database keeps it across reloads): the TF-IDF
 * classifier (default, no download, retrained on the labels), a softmax head retrained on an embedding model's
 * frozen embeddings (embedded once with progress and Cancel, cached), or any classifier's own predictions — served,
 * Hub, local folder or fine-tuned — as pre-labels (run once with progress and Cancel; no retrain).
 */
export function SuggesterPicker({ status }: { status: SuggesterStatus | null }) {
  const w = useWorkbench();
  const id = useId();
  const api = labelApi(w.db);
  const choice = status?.suggester ?? { kind: 'tfidf' as const };
  const inUse = choice.kind;
  const [kind, setKind] = useState<Kind>(inUse);
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
  if (!api || !w.source || !w.labelColumn || typeof api.setSuggesterOptions !== 'function') return null;
  const key = { source: w.source, labelColumn: w.labelColumn, textColumn: w.textColumn };
  const apply = (next: { suggester: SuggesterChoice; classifierSource?: ClassifierSource }) => {
    setError(null);
    try {
      api.setSuggesterOptions({ ...key, ...next });
    } catch (e) {
      setError((e as Error).message);
    }
  };
  const c = status?.classifier;
  const tfidf = () => (setKind('tfidf'), apply({ suggester: { kind: 'tfidf' } }));
  const activeModel = choice.kind === 'tfidf' ? '' : choice.model;
  return (
    <fieldset className="suggester-picker">
      <legend>Suggestions from</legend>
      <div role="radiogroup" aria-label="Suggester" className="choices">
        {KINDS.map((k) => (
          <label key={k.kind}>
            <input type="radio" name={`${id}-kind`} checked={kind === k.kind} onChange={() => (k.kind === 'tfidf' ? tfidf() : setKind(k.kind))} />
            {k.name}
          </label>
        ))}
      </div>
      {kind === 'embedding' && <EmbeddingChooser api={api} current={choice.kind === 'embedding' ? choice.model : null} choose={(next) => apply({ suggester: next })} onError={setError} />}
      {kind === 'classifier' && (
        <>
          <ModelPicker value={model} onChange={setModel} fineTuned={fineTuned} />
          <button type="button" disabled={!modelChosen(model)} onClick={() => apply(suggesterOf(model))}>
            Use as suggester
          </button>
          <p className="hint">Its own predictions become the suggestions (pre-labels): it runs once over “{w.textColumn}” and does not retrain on your labels.</p>
        </>
      )}
      <p className="hint" data-testid="active-suggester" data-kind={choice.kind} data-model={activeModel}>
        Active: {suggesterName(choice)}
        {choice.kind === 'embedding' && status && status.version > 0 && status.embedding?.state !== 'embedding' ? ` · model v${status.version}` : ''}
      </p>
      {choice.kind === 'embedding' && <EmbeddingState e={status?.embedding} api={api} keyOf={key} />}
      {c && <ClassifierState c={c} classes={w.classes} onCancel={tfidf} onAddClasses={(missing) => missing.forEach((m) => w.addClass(m))} />}
      {error && <p role="alert">{error}</p>}
    </fieldset>
  );
}

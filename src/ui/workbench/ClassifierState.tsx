/** A classifier as the suggester in the picker: the model picker's choice for it, and its run's state. */
import type { ClassifierSource, ClassifierSuggesterStatus, SuggesterChoice } from '../../label/types';
import { DEFAULT_HOST, type ModelChoice } from '../classify/ModelPicker';

const FINE_TUNED = 'jammi:fine-tuned:';

/** The model picker's choice for the classifier in use (a folder must be picked again: its files are not kept). */
export function pickerChoice(c: ClassifierSuggesterStatus | undefined): ModelChoice {
  if (!c) return { kind: 'served', id: '' };
  if (c.source.folder) return { kind: 'local', model: null };
  if (c.model.startsWith(FINE_TUNED)) return { kind: 'fine-tuned', id: c.model };
  if (c.source.modelSource === 'hub') return { kind: 'hub', id: c.model, host: c.source.hubHost ?? DEFAULT_HOST };
  return { kind: 'served', id: c.model };
}

/** What `setSuggesterOptions` takes for a picked model. */
export function suggesterOf(c: ModelChoice): { suggester: SuggesterChoice; classifierSource?: ClassifierSource } {
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

/** The classifier's run: progress with Cancel, its classes (and those the label column lacks), its accuracy, or its error. */
export function ClassifierState({ c, classes, onCancel, onAddClasses }: { c: ClassifierSuggesterStatus; classes: string[]; onCancel: () => void; onAddClasses: (missing: string[]) => void }) {
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

import { useEffect, useId, useState } from 'react';
import { DEFAULT_RETRAIN_EVERY, QUEUE_STRATEGIES, type QueueStrategy, type SuggesterStatus } from '../../label/types';
import { useWorkbench } from './context';
import { labelApi } from './label-api';
import { LearningCurve } from './LearningCurve';
import { SuggesterPicker } from './SuggesterPicker';
import { call } from './useSuggester';

export const STRATEGY_NAMES: Record<QueueStrategy, string> = {
  'least-confidence': 'Least confident first',
  margin: 'Smallest margin first',
  entropy: 'Highest entropy first',
  random: 'Random',
  file: 'File order',
};

/** The queue's order (active-learning strategy). */
export function StrategyPicker({ value, onChange }: { value: QueueStrategy; onChange: (s: QueueStrategy) => void }) {
  return (
    <label>
      Order{' '}
      <select aria-label="Queue order" value={value} onChange={(e) => onChange(e.target.value as QueueStrategy)}>
        {QUEUE_STRATEGIES.map((s) => (
          <option key={s} value={s}>
            {STRATEGY_NAMES[s]}
          </option>
        ))}
      </select>
    </label>
  );
}

/** One line on the suggester: retraining (labelling carries on meanwhile), the newest model, or why there is none. */
export function RetrainIndicator({ status }: { status: SuggesterStatus | null }) {
  let text: string;
  const c = status?.classifier;
  if (!status) text = 'No suggester for this column yet.';
  else if (c) text = c.state === 'ready' ? `Pre-labels from ${c.model} · it does not retrain on your labels` : c.state === 'failed' ? `${c.model} gives no suggestions.` : `Running ${c.model}… keep labelling, the queue refreshes when it is done.`;
  else if (status.training) text = `Retraining on ${status.labelsUsed + status.pendingLabels} labels… keep labelling, the queue refreshes when it is ready.`;
  else if (status.version === 0) text = status.error ?? 'The suggester trains once every class has 2 labels.';
  else text = `Model v${status.version} · trained on ${status.labelsUsed} labels · retrains after ${status.retrainEvery} more (${status.pendingLabels} so far)`;
  return (
    <p className={`retrain${status?.training ? ' training' : ''}`} role="status" data-testid="retrain-status" data-training={status?.training ? 'true' : 'false'} data-version={status?.version ?? 0}>
      {status?.training && <span className="spinner" aria-hidden="true" />}
      {text}
      {status?.error && status.version > 0 && !c && <span className="warning"> ⚠ {status.error}</span>}
    </p>
  );
}

/** Retrain every N labels, Retrain now, and the learning curve. Rarely changed: N lives under Advanced. */
export function SuggesterControls({ status }: { status: SuggesterStatus | null }) {
  const w = useWorkbench();
  const id = useId();
  const api = labelApi(w.db);
  const [every, setEvery] = useState(status?.retrainEvery ?? DEFAULT_RETRAIN_EVERY);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    if (status) setEvery(status.retrainEvery);
  }, [status?.retrainEvery]);
  if (!api || !w.source || !w.labelColumn) return null;
  const key = { source: w.source, labelColumn: w.labelColumn, textColumn: w.textColumn };
  const majority = w.counts.size > 0 ? Math.max(...w.counts.values()) / [...w.counts.values()].reduce((a, b) => a + b, 0) : undefined;
  return (
    <section className="panel suggester" aria-labelledby={`${id}-h`}>
      <h2 id={`${id}-h`}>Suggester</h2>
      <RetrainIndicator status={status} />
      <SuggesterPicker status={status} />
      {!status?.classifier && (
        <button
          type="button"
          onClick={() => {
            setError(null);
            call(() => api.retrainSuggester(key)).catch((e: Error) => setError(e.message));
          }}
          disabled={status?.training}
        >
          Retrain now
        </button>
      )}
      {error && <p role="alert">{error}</p>}
      {status?.classifier && <p className="hint">Learning curve: the classifier's accuracy on the labels so far (it never saw them).</p>}
      <LearningCurve points={status?.learningCurve ?? []} majority={majority} empty={status?.classifier ? 'The curve starts with your first label once the classifier has run.' : undefined} />
      <details className="advanced">
        <summary>Advanced</summary>
        <label>
          Retrain every{' '}
          <input
            type="number"
            min={1}
            max={10000}
            value={every}
            aria-label="Retrain every N labels"
            onChange={(e) => {
              const n = Math.max(1, Math.floor(Number(e.target.value) || 1));
              setEvery(n);
              try {
                api.setSuggesterOptions({ ...key, retrainEvery: n });
              } catch (err) {
                setError((err as Error).message);
              }
            }}
          />{' '}
          labels
        </label>
        <p className="hint">
          TF-IDF: a linear classifier on word and character n-grams, trained in a background worker: nothing is downloaded. Embeddings: a softmax head on the
          model's frozen embeddings of every row, computed once and cached in this browser.
        </p>
      </details>
    </section>
  );
}

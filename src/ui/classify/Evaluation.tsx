import { useEffect, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../../api/database';
import type { Evaluation as Metrics } from '../../api/infer';
import { ConfusionMatrix } from '../ConfusionMatrix';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** Accuracy, macro-F1 and the confusion matrix of a result against a gold label column of its source. */
export function Evaluation({ db, source, results, keyColumn, goldColumn }: { db: Database; source: string; results: Table; keyColumn?: string; goldColumn: string }) {
  const [metrics, setMetrics] = useState<Metrics | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    setMetrics(null);
    setError(null);
    db.evaluate({ results, gold: source, labelColumn: goldColumn, key: keyColumn }).then(
      (m) => live && setMetrics(m),
      (e: Error) => live && setError(e.message),
    );
    return () => {
      live = false;
    };
  }, [db, source, results, keyColumn, goldColumn]);

  if (error) return <p role="alert">{error}</p>;
  if (!metrics) return <p className="hint">Scoring…</p>;
  const { labels, matrix } = metrics.confusion;
  return (
    <section className="evaluation" aria-label="Evaluation against the gold labels">
      <p>
        Accuracy <strong data-testid="eval-accuracy">{pct(metrics.accuracy)}</strong> · macro-F1{' '}
        <strong data-testid="eval-macro-f1">{metrics.macroF1.toFixed(3)}</strong> · {metrics.count.toLocaleString('en-US')} rows scored
        {metrics.errors > 0 && <> · {metrics.errors.toLocaleString('en-US')} error rows not scored</>}
        {metrics.unmatched > 0 && <> · {metrics.unmatched.toLocaleString('en-US')} rows without a gold label</>}
      </p>
      <ConfusionMatrix labels={labels} matrix={matrix} caption="Confusion matrix (rows: gold, columns: predicted)" />
    </section>
  );
}

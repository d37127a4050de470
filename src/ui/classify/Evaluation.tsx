import { useEffect, useState } from 'react';
import type { Table } from 'apache-arrow';
import type { Database } from '../../api/database';
import type { Evaluation as Metrics } from '../../api/infer';

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
      <table className="confusion">
        <caption>Confusion matrix (rows: gold, columns: predicted)</caption>
        <thead>
          <tr>
            <th scope="col">gold \ predicted</th>
            {labels.map((l) => (
              <th scope="col" key={l}>
                {l}
              </th>
            ))}
            <th scope="col">recall</th>
          </tr>
        </thead>
        <tbody>
          {labels.map((g, i) => (
            <tr key={g}>
              <th scope="row">{g}</th>
              {matrix[i].map((n, j) => (
                <td key={j} className={i === j ? 'diagonal' : undefined}>
                  {n}
                </td>
              ))}
              <td>{pct(metrics.perClass[g].recall)}</td>
            </tr>
          ))}
          <tr>
            <th scope="row">precision</th>
            {labels.map((l) => (
              <td key={l}>{pct(metrics.perClass[l].precision)}</td>
            ))}
            <td />
          </tr>
        </tbody>
      </table>
    </section>
  );
}

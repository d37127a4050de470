/** Classification metrics over (gold, predicted) label pairs. Pure, so the unit tests check them in Node. */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Gold rows of this class. */
  support: number;
}

export interface Confusion {
  /** Row and column order: every label seen in gold or predictions, sorted. */
  labels: string[];
  /** `matrix[g][p]` = rows whose gold label is `labels[g]` and predicted label `labels[p]`. */
  matrix: number[][];
}

export interface Metrics {
  accuracy: number;
  /** Unweighted mean of per-class F1 over every label seen in gold or predictions (scikit-learn's `macro`). */
  macroF1: number;
  perClass: Record<string, ClassMetrics>;
  confusion: Confusion;
  /** Rows scored (both labels known). */
  count: number;
}

/** NOTE: 0/0 → 0, as scikit-learn's `zero_division=0`. */
const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

export function classificationMetrics(pairs: readonly { gold: string; predicted: string }[]): Metrics {
  const labels = [...new Set(pairs.flatMap((p) => [p.gold, p.predicted]))].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => labels.map(() => 0));
  let correct = 0;
  for (const { gold, predicted } of pairs) {
    matrix[index.get(gold)!][index.get(predicted)!]++;
    if (gold === predicted) correct++;
  }
  const perClass: Record<string, ClassMetrics> = {};
  let f1Sum = 0;
  labels.forEach((label, i) => {
    const tp = matrix[i][i];
    const support = matrix[i].reduce((a, b) => a + b, 0);
    const predictedCount = matrix.reduce((a, row) => a + row[i], 0);
    const precision = ratio(tp, predictedCount);
    const recall = ratio(tp, support);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass[label] = { precision, recall, f1, support };
    f1Sum += f1;
  });
  return {
    accuracy: ratio(correct, pairs.length),
    macroF1: ratio(f1Sum, labels.length),
    perClass,
    confusion: { labels, matrix },
    count: pairs.length,
  };
}

/**
 * The classification head's last step, after the model's logits: probabilities, the winning label and the
 * per-class scores. Pure functions (no ORT, no DOM) so they run in the worker and in unit tests alike.
 */

export type Id2Label = Record<string, string>;

export interface RowPrediction {
  label: string;
  confidence: number;
  /** JSON object label → probability, keys in class-index order. */
  allScoresJson: string;
}

/** softmax(x)_i = exp(x_i − max x) / Σ_j exp(x_j − max x). NOTE: subtracting the max keeps exp from overflowing. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** sigmoid(x) = 1 / (1 + exp(−x)), per class (multi-label models). NOTE: written two ways so exp never overflows. */
export function sigmoid(logits: ArrayLike<number>): Float64Array {
  const out = new Float64Array(logits.length);
  for (let i = 0; i < logits.length; i++) {
    const x = logits[i];
    out[i] = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
  }
  return out;
}

/** Index of the largest value; ties go to the lowest index (a strict `>` never replaces an equal earlier value). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** The label of class `i`: `id2label[i]`, or `LABEL_<i>` when the mapping has no entry for it (as HF names them). */
export function labelOf(id2label: Id2Label, i: number): string {
  return id2label[String(i)] ?? `LABEL_${i}`;
}

/**
 * Turns one row of logits into a prediction: softmax (or a sigmoid per class for
 * `problem_type == "multi_label_classification"`), label = argmax with ties to the lowest index.
 */
export function predict(logits: ArrayLike<number>, id2label: Id2Label, multiLabel: boolean): RowPrediction {
  const probs = multiLabel ? sigmoid(logits) : softmax(logits);
  const best = argmax(probs);
  const scores: Record<string, number> = {};
  // NOTE: integer-like keys would be reordered by JS objects; build the JSON by hand to keep class-index order.
  const parts: string[] = [];
  for (let i = 0; i < probs.length; i++) {
    const label = labelOf(id2label, i);
    if (label in scores) continue; // two classes with one name: keep the first (lowest index)
    scores[label] = probs[i];
    parts.push(`${JSON.stringify(label)}:${JSON.stringify(probs[i])}`);
  }
  return { label: labelOf(id2label, best), confidence: probs[best], allScoresJson: `{${parts.join(',')}}` };
}

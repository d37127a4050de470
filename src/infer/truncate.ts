/**
 * Sequence length rules. HF's tokenizers truncate the *text* and keep the special tokens around it
 * (`[CLS] … [SEP]`, `<s> … </s>`); transformers.js 4.3's `truncation: true` instead cuts the final `[SEP]` off,
 * so we tokenize without truncation and truncate here.
 */

export interface LengthConfig {
  model_type?: string;
  max_position_embeddings?: number;
  pad_token_id?: number;
}

const ROBERTA_FAMILY = new Set(['roberta', 'xlm-roberta', 'camembert', 'longformer', 'xlm-roberta-xl', 'data2vec-text']);

/**
 * The most tokens the model takes. BERT, DistilBERT, ModernBERT: `max_position_embeddings`. RoBERTa family:
 * `max_position_embeddings − pad_token_id − 1` (positions start after the padding index, e.g. 514 − 1 − 1 = 512).
 * `requested` (the caller's `maxLength`) can only lower it.
 */
export function modelMaxLength(config: LengthConfig, requested?: number): number {
  let max = config.max_position_embeddings ?? 512;
  if (config.model_type && ROBERTA_FAMILY.has(config.model_type)) max -= (config.pad_token_id ?? 1) + 1;
  if (requested !== undefined) {
    if (!Number.isInteger(requested) || requested < 2) throw new RangeError(`maxLength must be an integer ≥ 2 (got ${requested}).`);
    max = Math.min(max, requested);
  }
  return max;
}

/**
 * Where the special tokens sit around the content: `withSpecials` = prefix + `content` + suffix.
 * Returns the prefix length (the suffix is the rest). Works for any single-sequence template.
 */
export function specialsPrefixLength(withSpecials: readonly number[], content: readonly number[]): number {
  const extra = withSpecials.length - content.length;
  if (extra < 0) throw new Error('The sequence with special tokens is shorter than its content.');
  for (let p = 0; p <= extra; p++) {
    let same = true;
    for (let i = 0; i < content.length && same; i++) same = withSpecials[p + i] === content[i];
    if (same) return p;
  }
  throw new Error('Could not find the text tokens inside the sequence with special tokens.');
}

/**
 * Truncates a full sequence (special tokens included) to `maxLength`, keeping its special prefix and suffix and
 * cutting the content at the end, as HF's `truncation=True` does for one sequence.
 */
export function truncateKeepingSpecials(ids: readonly number[], prefix: number, suffix: number, maxLength: number): number[] {
  if (ids.length <= maxLength) return ids.slice();
  const keep = maxLength - prefix - suffix;
  if (keep < 0) throw new RangeError(`maxLength ${maxLength} leaves no room for ${prefix + suffix} special tokens.`);
  return [...ids.slice(0, prefix + keep), ...ids.slice(ids.length - suffix)];
}

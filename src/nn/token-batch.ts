/**
 * Token batches, the one home of padding: token id rows → a [batch, seq] row-major batch with its attention mask,
 * for our engine (`tokenBatch`, Int32) and for ONNX Runtime (`padBatch`, int64 feeds). Dynamic padding to the longest row.
 */
/** A batch of token ids and the attention mask, both [batch, seq] row-major. */
export interface TokenBatch {
  ids: Int32Array;
  mask: Int32Array;
  /** BERT segment ids; all 0 when absent. */
  tokenTypes?: Int32Array;
  batch: number;
  seq: number;
}

/** Accept number[][] (as in reference.json) or a ready TokenBatch. */
export function toTokenBatch(ids: readonly (readonly number[])[] | TokenBatch, mask?: readonly (readonly number[])[]): TokenBatch {
  if (!Array.isArray(ids)) return ids as TokenBatch;
  const rows = ids as readonly (readonly number[])[];
  const batch = rows.length;
  const seq = batch === 0 ? 0 : rows[0].length;
  if (mask === undefined || mask.length !== batch) throw new Error('attention mask must have one row per input row');
  const out = { ids: new Int32Array(batch * seq), mask: new Int32Array(batch * seq), batch, seq };
  for (let b = 0; b < batch; b++) {
    if (rows[b].length !== seq || mask[b].length !== seq) throw new Error('input_ids / attention_mask rows must all have the same length');
    out.ids.set(rows[b], b * seq);
    out.mask.set(mask[b], b * seq);
  }
  return out;
}

/** Row-major padded ids and mask for some token rows (dynamic padding to the longest). */
export function tokenBatch(rows: readonly (readonly number[])[], padId: number): TokenBatch {
  const seq = Math.max(1, ...rows.map((r) => r.length));
  const ids = new Int32Array(rows.length * seq).fill(padId);
  const mask = new Int32Array(rows.length * seq);
  rows.forEach((r, b) => {
    ids.set(r, b * seq);
    mask.fill(1, b * seq, b * seq + r.length);
  });
  return { ids, mask, batch: rows.length, seq };
}

/**
 * The same batch as ONNX Runtime feeds: int64 `input_ids`, `attention_mask` and all-zero `token_type_ids`,
 * row-major `[rows, seq]`.
 */
export function padBatch(rows: readonly (readonly number[])[], padId: number): { seq: number; inputs: Record<string, BigInt64Array> } {
  const { ids, mask, seq } = tokenBatch(rows, padId);
  return {
    seq,
    inputs: { input_ids: BigInt64Array.from(ids, BigInt), attention_mask: BigInt64Array.from(mask, BigInt), token_type_ids: new BigInt64Array(rows.length * seq) },
  };
}

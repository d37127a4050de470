import { describe, expect, it } from 'vitest';
import { modelMaxLength, specialsPrefixLength, truncateKeepingSpecials } from './truncate';

describe('modelMaxLength', () => {
  it('BERT, DistilBERT, ModernBERT: max_position_embeddings', () => {
    expect(modelMaxLength({ model_type: 'bert', max_position_embeddings: 512, pad_token_id: 0 })).toBe(512);
    expect(modelMaxLength({ model_type: 'distilbert', max_position_embeddings: 128 })).toBe(128);
    expect(modelMaxLength({ model_type: 'modernbert', max_position_embeddings: 8192, pad_token_id: 50283 })).toBe(8192);
  });
  it('RoBERTa family: max_position_embeddings − pad_token_id − 1', () => {
    expect(modelMaxLength({ model_type: 'roberta', max_position_embeddings: 514, pad_token_id: 1 })).toBe(512);
    expect(modelMaxLength({ model_type: 'xlm-roberta', max_position_embeddings: 514, pad_token_id: 1 })).toBe(512);
    expect(modelMaxLength({ model_type: 'camembert', max_position_embeddings: 514, pad_token_id: 1 })).toBe(512);
    expect(modelMaxLength({ model_type: 'roberta', max_position_embeddings: 129, pad_token_id: 0 })).toBe(128);
  });
  it('a requested maxLength only lowers it, and must be an integer ≥ 2', () => {
    expect(modelMaxLength({ model_type: 'bert', max_position_embeddings: 128 }, 64)).toBe(64);
    expect(modelMaxLength({ model_type: 'bert', max_position_embeddings: 128 }, 4096)).toBe(128);
    expect(() => modelMaxLength({ model_type: 'bert', max_position_embeddings: 128 }, 1)).toThrow(/maxLength/);
  });
});

describe('truncation keeps the special tokens', () => {
  const CLS = 101;
  const SEP = 102;
  it('finds the template: [CLS] text [SEP] and <s> text </s> </s>-style suffixes', () => {
    expect(specialsPrefixLength([CLS, 7, 8, SEP], [7, 8])).toBe(1);
    expect(specialsPrefixLength([0, 7, 8, 2, 2], [7, 8])).toBe(1);
    expect(specialsPrefixLength([7, 8, 2], [7, 8])).toBe(0);
  });
  it('cuts the text, not [SEP], as HF does', () => {
    const ids = [CLS, 1, 2, 3, 4, 5, 6, SEP];
    expect(truncateKeepingSpecials(ids, 1, 1, 5)).toEqual([CLS, 1, 2, 3, SEP]);
    expect(truncateKeepingSpecials(ids, 1, 1, 8)).toEqual(ids);
    expect(truncateKeepingSpecials(ids, 1, 1, 2)).toEqual([CLS, SEP]);
    expect(() => truncateKeepingSpecials(ids, 1, 1, 1)).toThrow();
  });
  it('a 200-token text becomes exactly maxLength tokens ending in [SEP]', () => {
    const ids = [CLS, ...Array.from({ length: 200 }, (_, i) => 1000 + i), SEP];
    const out = truncateKeepingSpecials(ids, 1, 1, 128);
    expect(out.length).toBe(128);
    expect(out[0]).toBe(CLS);
    expect(out[127]).toBe(SEP);
    expect(out[126]).toBe(1000 + 125);
  });
});

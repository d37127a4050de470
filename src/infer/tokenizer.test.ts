import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { padBatch } from '../nn/token-batch';
import { TextTokenizer } from './tokenizer';
import { modelMaxLength } from './truncate';

const models = path.resolve(__dirname, '../../../shared/models');
const read = (model: string, file: string) => JSON.parse(fs.readFileSync(path.join(models, model, file), 'utf8'));

describe.each(['bert-tiny-sentiment', 'roberta-tiny-spam', 'modernbert-tiny-cls'])('TextTokenizer on %s', (model) => {
  it("gives HF's ids for every reference text, the over-long one truncated with [SEP] kept", () => {
    const ref = read(model, 'reference.json') as { texts: string[]; input_ids: number[][]; attention_mask: number[][] };
    const tok = new TextTokenizer(read(model, 'tokenizer.json'), read(model, 'tokenizer_config.json'), modelMaxLength(read(model, 'config.json')));
    ref.texts.forEach((text, i) => {
      const length = ref.attention_mask[i].reduce((a, b) => a + b, 0);
      expect(tok.encode(text)).toEqual(ref.input_ids[i].slice(0, length));
    });
    const last = tok.encode(ref.texts[ref.texts.length - 1]);
    expect(last.length).toBe(128);
    expect(last[127]).toBe(102);
  });
});

describe('padBatch', () => {
  it('pads to the longest row with the pad id, masks the padding, zero token types', () => {
    const { seq, inputs } = padBatch([[101, 7, 102], [101, 102]], 0);
    expect(seq).toBe(3);
    expect([...inputs.input_ids]).toEqual([101n, 7n, 102n, 101n, 102n, 0n]);
    expect([...inputs.attention_mask]).toEqual([1n, 1n, 1n, 1n, 1n, 0n]);
    expect([...inputs.token_type_ids]).toEqual([0n, 0n, 0n, 0n, 0n, 0n]);
  });
});

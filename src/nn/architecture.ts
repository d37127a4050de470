/** The encoder families the engine loads, named by `config.json`'s `model_type`. */
export type Architecture = 'bert' | 'roberta' | 'distilbert' | 'modernbert';

export function architectureOf(config: Record<string, unknown>): Architecture {
  const t = config.model_type;
  if (t === 'bert' || t === 'roberta' || t === 'distilbert' || t === 'modernbert') return t;
  throw new Error(`unsupported model_type ${JSON.stringify(t)} (bert, roberta, distilbert, modernbert)`);
}

/**
 * Whether an adapter fits the base model it is loaded onto, checked from shapes alone (no weights decoded), so a
 * wrong base model, rank or module is refused when the adapter is loaded rather than at its first use.
 */
import type { F32Entry } from './safetensors';
import type { EncoderAdapterConfig, HeadAdapterConfig } from './adapter-files';

/**
 * Checks that an encoder adapter fits a base model: every LoRA pair sits on
 * a module the base has, with A [r, in] and B [out, r] fitting its weight [out, in] and r equal to the config's,
 * and every trained head tensor matches the base's (the output layer may have another number of classes).
 * Throws an Error naming the first tensor that does not fit.
 */
export function checkEncoderAdapterFits(config: EncoderAdapterConfig, adapter: Map<string, F32Entry>, base: Map<string, { shape: number[] }>, baseName: string): void {
  let pairs = 0;
  for (const [name, A] of adapter) {
    if (!name.endsWith('.lora_A.weight')) continue;
    pairs++;
    const module = name.slice(0, -'.lora_A.weight'.length);
    const W = base.get(`${module}.weight`);
    if (!W) throw new Error(`The adapter puts LoRA on ${module}, which the base model ${baseName} does not have: it was trained on another base model.`);
    const B = adapter.get(`${module}.lora_B.weight`);
    if (!B) throw new Error(`The adapter has ${name} but no ${module}.lora_B.weight.`);
    if (A.shape.length !== 2 || B.shape.length !== 2 || A.shape[0] !== config.r || B.shape[1] !== config.r) {
      throw new Error(`${module}: LoRA shapes A [${A.shape}] and B [${B.shape}] do not match the rank r = ${config.r} in adapter_config.json.`);
    }
    if (W.shape.length !== 2 || A.shape[1] !== W.shape[1] || B.shape[0] !== W.shape[0]) {
      throw new Error(`${module}: LoRA shapes A [${A.shape}] and B [${B.shape}] do not fit the base weight [${W.shape}] of ${baseName}: wrong base model?`);
    }
  }
  if (pairs === 0) throw new Error('The adapter holds no LoRA weights (no *.lora_A.weight tensors).');
  for (const [name, t] of adapter) {
    if (name.includes('.lora_A.') || name.includes('.lora_B.')) continue;
    const b = base.get(name);
    if (!b) throw new Error(`The adapter replaces ${name}, which the base model ${baseName} does not have: wrong base model?`);
    const sameButRows = b.shape.length === t.shape.length && b.shape.every((d, i) => i === 0 || d === t.shape[i]);
    if (!sameButRows) throw new Error(`The adapter's ${name} [${t.shape}] does not fit the base model's [${b.shape}] (${baseName}): wrong base model?`);
  }
}

/** A projection head was trained on embeddings of one width: the base must give that width. */
export function checkHeadAdapterFits(config: HeadAdapterConfig, baseConfig: Record<string, unknown>, baseName: string): void {
  const width = baseConfig.hidden_size ?? baseConfig.dim;
  if (typeof width === 'number' && width !== config.embedding_dim) {
    throw new Error(`The projection head expects ${config.embedding_dim}-wide embeddings, but the base model ${baseName} gives ${width}: it was trained on another base model.`);
  }
}

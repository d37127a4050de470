/**
 * Adapter files. `encoder` target: PEFT's LoRA format (`adapter_config.json` + `adapter_model.safetensors`, keys
 * `base_model.model.<HF module>.lora_A.weight` [r, in] / `.lora_B.weight` [out, r], trained head modules as
 * `base_model.model.<module>.weight` / `.bias`), plus our `id2label` / `label2id`. `head` target: our documented
 * projection-head format (`projection.lora_A/B.weight`, `classifier.weight/bias`, `adapter_type: "projection_head"`).
 */
import { JammiError } from '../errors';
import { strFromU8, strToU8, unzipSync, zipSync } from 'fflate';
import { parseSafetensors, writeSafetensors, type F32Entry } from './safetensors';

export const PEFT_PREFIX = 'base_model.model.';
export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

export interface EncoderAdapterConfig {
  peft_type: 'LORA';
  task_type: 'SEQ_CLS';
  base_model_name_or_path: string;
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  use_rslora: boolean;
  target_modules: string[];
  modules_to_save: string[];
  layers_to_transform: number[] | null;
  bias: 'none';
  fan_in_fan_out: boolean;
  inference_mode: boolean;
  /** Ours; PEFT's own `save_pretrained` leaves them out (the labels then come from the base model or the head's size). */
  id2label?: Record<string, string>;
  label2id?: Record<string, number>;
  rank_pattern?: Record<string, number>;
  alpha_pattern?: Record<string, number>;
  use_dora?: boolean;
  lora_bias?: boolean;
}

export interface HeadAdapterConfig {
  adapter_type: 'projection_head';
  base_model_name_or_path: string;
  pooling: 'mean' | 'cls';
  /** Embeddings are L2-normalised before the projection. */
  normalize: true;
  embedding_dim: number;
  r: number;
  lora_alpha: number;
  use_rslora: boolean;
  id2label: Record<string, string>;
  label2id: Record<string, number>;
}

export type AdapterConfig = EncoderAdapterConfig | HeadAdapterConfig;

export interface Adapter {
  config: AdapterConfig;
  /** By model parameter name (HF names; no PEFT prefix). */
  tensors: Map<string, F32Entry>;
}

/** An adapter that cannot be read: a JammiError with code `bad_adapter`. */
export class AdapterError extends JammiError {
  constructor(message: string) {
    super('bad_adapter', message);
    this.name = 'AdapterError';
  }
}

export function labelMaps(classes: readonly string[]): { id2label: Record<string, string>; label2id: Record<string, number> } {
  return {
    id2label: Object.fromEntries(classes.map((c, i) => [String(i), c])),
    label2id: Object.fromEntries(classes.map((c, i) => [c, i])),
  };
}

/** Class names in index order from an id2label mapping (keys 0…n−1, n ≥ 2). */
export function labelsFromMap(id2label: Record<string, string> | undefined): string[] {
  const entries = Object.entries(id2label ?? {}).map(([k, v]) => [Number(k), String(v)] as const);
  entries.sort((a, b) => a[0] - b[0]);
  if (entries.length < 2 || entries.some(([k], i) => k !== i)) {
    throw new AdapterError(`${ADAPTER_CONFIG} needs an id2label mapping with keys 0…n−1 (n ≥ 2).`);
  }
  return entries.map(([, v]) => v);
}

/** The head's output layer names, per architecture (PEFT modules_to_save keys). */
const OUTPUT_WEIGHTS = ['classifier.out_proj.weight', 'classifier.weight'];

/**
 * The adapter's class names: its id2label; for a PEFT adapter without one (PEFT's own files), the base model's
 * id2label when it has as many classes as the adapter's output layer, else LABEL_0…LABEL_{n−1} (as HF names them).
 */
export function adapterLabels(adapter: Adapter, baseId2label?: Record<string, string>): string[] {
  if (adapter.config.id2label) return labelsFromMap(adapter.config.id2label);
  const out = OUTPUT_WEIGHTS.map((n) => adapter.tensors.get(n)).find((t) => t !== undefined);
  if (!out) throw new AdapterError(`The adapter has no id2label and no classifier output layer (${OUTPUT_WEIGHTS.join(' or ')}) to count its classes.`);
  const n = out.shape[0];
  if (baseId2label && Object.keys(baseId2label).length === n) return labelsFromMap(baseId2label);
  return Array.from({ length: n }, (_, i) => `LABEL_${i}`);
}

/** PEFT options this reader cannot apply faithfully: refused rather than silently giving wrong predictions. */
function checkPeftOptions(config: EncoderAdapterConfig): void {
  const refuse = (what: string) => {
    throw new AdapterError(`This adapter uses ${what}, which jammi-web does not support; retrain it without.`);
  };
  if (config.use_dora) refuse('DoRA (use_dora: true)');
  if (config.lora_bias) refuse('LoRA biases (lora_bias: true)');
  if (config.fan_in_fan_out) refuse('fan_in_fan_out: true (Conv1D-style weights)');
  if (config.rank_pattern && Object.keys(config.rank_pattern).length) refuse('per-module ranks (rank_pattern)');
  if (config.alpha_pattern && Object.keys(config.alpha_pattern).length) refuse('per-module alphas (alpha_pattern)');
  if (!(Number.isInteger(config.r) && config.r > 0) || !(typeof config.lora_alpha === 'number' && config.lora_alpha > 0)) {
    throw new AdapterError(`${ADAPTER_CONFIG} needs a positive integer r and a positive lora_alpha.`);
  }
}

/** The two files, byte-for-byte deterministic for the same tensors and config. */
export function writeAdapter(adapter: Adapter): Record<string, Uint8Array> {
  const isPeft = 'peft_type' in adapter.config;
  const entries: Record<string, F32Entry> = {};
  for (const [name, t] of adapter.tensors) entries[isPeft ? PEFT_PREFIX + name : name] = t;
  return {
    [ADAPTER_CONFIG]: strToU8(JSON.stringify(adapter.config, null, 2) + '\n'),
    [ADAPTER_WEIGHTS]: writeSafetensors(entries, { format: 'pt' }),
  };
}

/** Reads the two files back (PEFT prefix removed), with clear errors for anything missing or malformed. */
export function readAdapter(files: Record<string, Uint8Array>): Adapter {
  const configBytes = files[ADAPTER_CONFIG];
  const weightBytes = files[ADAPTER_WEIGHTS];
  if (!configBytes) throw new AdapterError(`The adapter has no ${ADAPTER_CONFIG}.`);
  if (!weightBytes) throw new AdapterError(`The adapter has no ${ADAPTER_WEIGHTS}.`);
  let config: AdapterConfig;
  try {
    config = JSON.parse(strFromU8(configBytes)) as AdapterConfig;
  } catch (e) {
    throw new AdapterError(`${ADAPTER_CONFIG} is not valid JSON: ${(e as Error).message}`);
  }
  if (config === null || typeof config !== 'object' || Array.isArray(config)) throw new AdapterError(`${ADAPTER_CONFIG} is not a JSON object.`);
  const isPeft = 'peft_type' in config;
  if (isPeft) {
    const { peft_type, task_type } = config as { peft_type: string; task_type: string };
    if (peft_type !== 'LORA' || task_type !== 'SEQ_CLS') {
      throw new AdapterError(`Only LoRA sequence-classification adapters are supported (peft_type "LORA", task_type "SEQ_CLS"); got ${peft_type} / ${task_type}.`);
    }
  }
  if (!isPeft && (config as HeadAdapterConfig).adapter_type !== 'projection_head') {
    throw new AdapterError(`${ADAPTER_CONFIG} is neither a PEFT LoRA config nor a projection-head config.`);
  }
  if (isPeft) checkPeftOptions(config as EncoderAdapterConfig);
  if (isPeft) {
    const t = (config as EncoderAdapterConfig).target_modules as unknown;
    if (!(typeof t === 'string' || (Array.isArray(t) && t.length > 0 && t.every((m) => typeof m === 'string')))) {
      throw new AdapterError(`${ADAPTER_CONFIG} needs target_modules: a list of module names (or a regex string).`);
    }
  }
  else labelsFromMap(config.id2label);
  let file: ReturnType<typeof parseSafetensors>;
  try {
    file = parseSafetensors(weightBytes);
  } catch (e) {
    throw new AdapterError(`${ADAPTER_WEIGHTS}: ${(e as Error).message}`);
  }
  const tensors = new Map<string, F32Entry>();
  for (const [key, info] of file.tensors) {
    const name = isPeft && key.startsWith(PEFT_PREFIX) ? key.slice(PEFT_PREFIX.length) : key;
    if (isPeft && /\.lora_(magnitude_vector|embedding_[AB])\b|\.lora_B\.bias$/.test(name)) {
      throw new AdapterError(`${ADAPTER_WEIGHTS} holds ${key}, a kind of LoRA tensor jammi-web does not support.`);
    }
    try {
      tensors.set(name, { shape: info.shape, data: file.getFloat32(key) });
    } catch (e) {
      throw new AdapterError(`${ADAPTER_WEIGHTS}: ${(e as Error).message}`);
    }
  }
  const adapter = { config, tensors };
  adapterLabels(adapter);
  return adapter;
}

export function zipAdapter(files: Record<string, Uint8Array>): Uint8Array {
  // A fixed timestamp keeps the zip as deterministic as its contents.
  return zipSync(files, { mtime: new Date('2000-01-01T00:00:00Z'), level: 6 });
}

/** Limits checked on the zip's directory before anything is inflated (a zip bomb is refused unopened). */
export const ZIP_LIMITS = {
  /** Inflated size of one entry: far above any LoRA adapter of a model that runs in a browser. */
  entryBytes: 512 << 20,
  /** Inflated size of the two entries together. */
  totalBytes: 768 << 20,
  /** Inflated ÷ compressed, for entries over 1 MiB: float weights compress ~1.1×, JSON ~5×; a bomb ~1000×. */
  ratio: 100,
};

/**
 * The adapter's files from a zip (found at any folder depth). Only the two adapter files are inflated, each into a
 * buffer of the size the zip's directory declares (fflate never grows it), after that size and its compression ratio
 * have been checked.
 */
export function unzipAdapter(zip: Uint8Array): Record<string, Uint8Array> {
  let entries: Record<string, Uint8Array>;
  const seen = new Set<string>();
  let total = 0;
  try {
    entries = unzipSync(zip, {
      filter: ({ name, size, originalSize }) => {
        const base = name.split('/').pop()!;
        if (base !== ADAPTER_CONFIG && base !== ADAPTER_WEIGHTS) return false;
        if (seen.has(base)) throw new AdapterError(`The adapter zip holds ${base} more than once.`);
        seen.add(base);
        total += originalSize;
        if (originalSize > ZIP_LIMITS.entryBytes || total > ZIP_LIMITS.totalBytes) {
          throw new AdapterError(`The adapter zip's ${base} would inflate to ${originalSize} bytes, over the ${ZIP_LIMITS.entryBytes}-byte limit: refused without inflating it.`);
        }
        if (originalSize > 1 << 20 && originalSize > ZIP_LIMITS.ratio * Math.max(1, size)) {
          throw new AdapterError(`The adapter zip's ${base} would inflate ${Math.round(originalSize / Math.max(1, size))}× (${size} → ${originalSize} bytes), over the ${ZIP_LIMITS.ratio}× limit for a zip bomb: refused without inflating it.`);
        }
        return true;
      },
    });
  } catch (e) {
    if (e instanceof AdapterError) throw e;
    throw new AdapterError(`The adapter zip could not be read: ${(e as Error).message}`);
  }
  const out: Record<string, Uint8Array> = {};
  for (const [path, bytes] of Object.entries(entries)) out[path.split('/').pop()!] = bytes;
  return out;
}

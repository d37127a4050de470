/**
 * The `encoder` target: LoRA inside the encoder's linears (query/value by default), the classification head
 * trained in full, everything else frozen; saved in PEFT's format.
 */
import type { Backend } from '../grad';
import { Rng } from '../grad/rng';
import { loadClassifier, type ModelFiles, type SequenceClassifier } from '../nn/sequence-classifier';
import { tokenBatch } from '../nn/token-batch';
import type { F32Entry } from '../nn/safetensors';
import { labelMaps, type Adapter, type EncoderAdapterConfig } from '../nn/adapter-files';
import type { FineTuneConfig } from './config';
import { DEFAULT_TARGET_MODULES, selectsModule } from '../nn/lora-targets';
import { MODULES_TO_SAVE, isHeadParam, withFreshHead } from '../nn/adapter-merge';
import type { TrainableModel } from './loop';

/** Which linears get LoRA: names ending in a target module, in the chosen layers. */
export function loraModules(model: SequenceClassifier, config: FineTuneConfig): string[] {
  const targets = config.target_modules ?? DEFAULT_TARGET_MODULES[model.architecture];
  const layers = config.layers_to_transform;
  const names = [...model.linears().keys()].filter((name) => selectsModule(targets, layers, name) && !isHeadParam(model.architecture, `${name}.weight`));
  if (names.length === 0) {
    throw new Error(`No encoder linear matches target_modules ${JSON.stringify(targets)}${layers ? ` in layers ${layers.join(', ')}` : ''}.`);
  }
  return names;
}

export interface EncoderSetup {
  model: SequenceClassifier;
  trainable: TrainableModel;
  /** The adapter from the parameters now, or from `values` (host copies, in `trainable.params` order). */
  adapter(values?: Float32Array[]): Promise<Adapter>;
  dispose(): void;
}

/** Loads the base with a fresh head for `classes`, attaches LoRA, and marks the head trainable. */
export function setupEncoderTarget(opts: {
  files: ModelFiles;
  baseModel: string;
  backend: Backend;
  config: FineTuneConfig;
  classes: readonly string[];
  tokens: readonly (readonly number[])[];
  padId: number;
}): EncoderSetup {
  const { config, classes } = opts;
  const model = loadClassifier(withFreshHead(opts.files, classes, config.seed), opts.backend);
  try {
    const modules = loraModules(model, config);
    const lora = model.addLora(modules, { r: config.lora_rank, alpha: config.lora_alpha, rslora: config.use_rslora, dropout: config.lora_dropout, seed: config.seed });
    // Training mode applies the model's own dropout (as HF does) and lora_dropout, from one seeded stream.
    const train = { rng: Rng.forKey(config.seed, 'dropout') };
    const head = [...model.params].filter(([name]) => isHeadParam(model.architecture, name)).map(([, t]) => t);
    for (const t of head) t.requiresGrad = true;
    const params = [...lora, ...head];
    const trainable: TrainableModel = {
      params,
      logits: (rows, training) => model.forward(tokenBatch(rows.map((r) => opts.tokens[r]), opts.padId), undefined, training ? train : undefined),
      lengthOf: (row) => opts.tokens[row].length,
    };
    const adapterConfig: EncoderAdapterConfig = {
      peft_type: 'LORA',
      task_type: 'SEQ_CLS',
      base_model_name_or_path: opts.baseModel,
      r: config.lora_rank,
      lora_alpha: config.lora_alpha,
      lora_dropout: config.lora_dropout,
      use_rslora: config.use_rslora,
      target_modules: config.target_modules ?? DEFAULT_TARGET_MODULES[model.architecture],
      modules_to_save: MODULES_TO_SAVE[model.architecture],
      layers_to_transform: config.layers_to_transform,
      bias: 'none',
      fan_in_fan_out: false,
      inference_mode: true,
      ...labelMaps(classes),
    };
    return {
      model,
      trainable,
      async adapter(values) {
        const tensors = new Map<string, F32Entry>();
        for (const [i, p] of params.entries()) tensors.set(p.name!, { shape: p.shape, data: values?.[i] ?? (await p.read()) });
        return { config: adapterConfig, tensors };
      },
      dispose: () => model.dispose(),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * The registry of fine-tuned models (trained here or loaded from files), by model id `jammi:fine-tuned:<id>`,
 * kept in OPFS across reloads (./adapter-store) for `infer` to use.
 */
import type { LocalModel, ModelRef } from '../nn/model-files';
import { readModelFile, readModelJson } from '../nn/model-files';
import { parseSafetensors } from '../nn/safetensors';
import { checkEncoderAdapterFits, checkHeadAdapterFits } from '../nn/adapter-fit';
import { adapterLabels, readAdapter, ADAPTER_CONFIG, ADAPTER_WEIGHTS, type Adapter, type EncoderAdapterConfig } from '../nn/adapter-files';
import type { FineTuneTarget } from '../train/config';
import { JammiError } from '../errors';
import { deleteAdapter, loadAdapters, saveAdapter } from './adapter-store';
import { adapterFiles } from './adapter-upload';
import { resolveModel } from './infer';
import { FINE_TUNED_PREFIX, type FineTuneReport } from './job';

/** Where a base model came from, as it can be written down (a picked folder only by name). */
export type StoredBase = Exclude<ModelRef, { kind: 'local' }> | { kind: 'local'; name: string };

export interface FineTunedModel {
  id: string;
  modelId: string;
  target: FineTuneTarget;
  base: StoredBase;
  labels: string[];
  created: string;
  report: FineTuneReport | null;
  /** Why the model is not kept for the next visit (e.g. the storage quota is full); absent when it is saved. */
  notSaved?: string;
}

export function storedBase(ref: ModelRef): StoredBase {
  return ref.kind === 'local' ? { kind: 'local', name: ref.model.name } : ref;
}


let counter = 0;
export const newId = () => `${Date.now().toString(36)}${(counter++).toString(36)}${Math.floor(Math.random() * 36 ** 4).toString(36)}`;

/** Trained and loaded adapters, by model id. */
export class FineTunedModels {
  private readonly models = new Map<string, { info: FineTunedModel; files: Record<string, Uint8Array>; base?: ModelRef }>();

  constructor(private readonly persist: boolean) {}

  async restore(): Promise<void> {
    if (!this.persist) return;
    for (const { meta, files } of await loadAdapters<FineTunedModel>()) this.models.set(meta.modelId, { info: meta, files });
  }

  list(): FineTunedModel[] {
    return [...this.models.values()].map((m) => m.info);
  }

  has(modelId: string): boolean {
    return this.models.has(modelId);
  }

  get(modelId: string) {
    const m = this.models.get(modelId);
    if (!m) {
      const known = [...this.models.keys()];
      throw new JammiError('bad_input', `Unknown fine-tuned model "${modelId}". ${known.length ? `Known: ${known.join(', ')}.` : 'None has been trained or loaded yet.'}`);
    }
    return m;
  }

  /** Base model and adapter files of `modelId` when it names a fine-tuned model; null for any other id. */
  lookup(modelId: string): { base: ModelRef; files: Record<string, Uint8Array> } | null {
    if (!modelId.startsWith(FINE_TUNED_PREFIX)) return null;
    const m = this.get(modelId);
    let base = m.base;
    if (!base) {
      if (m.info.base.kind === 'local') {
        throw new JammiError('model_file', `${modelId} was trained on the local folder "${m.info.base.name}", which is gone after a reload: load the adapter again with { baseModel: <that folder> }.`);
      }
      base = m.info.base;
    }
    return { base, files: m.files };
  }

  /** Registers a model and saves it; a failed save (a full quota) is returned as a warning — the model still works this visit. */
  async add(info: FineTunedModel, files: Record<string, Uint8Array>, base?: ModelRef): Promise<string | null> {
    if (this.persist) {
      try {
        await saveAdapter(info.id, files, info);
      } catch (e) {
        info.notSaved = `Not saved for the next visit: ${(e as Error).message}`;
      }
    }
    this.models.set(info.modelId, { info, files, base });
    return info.notSaved ?? null;
  }

  async remove(modelId: string): Promise<void> {
    const m = this.get(modelId);
    this.models.delete(modelId);
    if (this.persist) await deleteAdapter(m.info.id);
  }

  /** The adapter's two files as Blobs (`adapter_config.json`, `adapter_model.safetensors`). */
  export(modelId: string): Record<string, Blob> {
    const { files } = this.get(modelId);
    return {
      [ADAPTER_CONFIG]: new Blob([files[ADAPTER_CONFIG] as Uint8Array<ArrayBuffer>], { type: 'application/json' }),
      [ADAPTER_WEIGHTS]: new Blob([files[ADAPTER_WEIGHTS] as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }),
    };
  }

  /** Registers an adapter from a zip or its two files; `baseModel` overrides the one the config names. */
  async load(input: Blob | Blob[] | Record<string, Blob>, baseModel?: string | LocalModel): Promise<string> {
    const files = await adapterFiles(input).catch((e: unknown) => {
      throw new JammiError('bad_adapter', `This adapter cannot be loaded: ${(e as Error).message}`);
    });
    let adapter: Adapter;
    try {
      adapter = readAdapter(files);
    } catch (e) {
      throw new JammiError('bad_adapter', `This adapter cannot be loaded: ${(e as Error).message}`);
    }
    const { config } = adapter;
    const baseName = baseModel ?? config.base_model_name_or_path;
    if (!baseName) throw new JammiError('bad_adapter', 'The adapter does not name its base model; pass { baseModel }.');
    const base = await resolveModel({ model: baseName });
    await checkFits(adapter, base);
    const id = newId();
    const info: FineTunedModel = {
      id,
      modelId: FINE_TUNED_PREFIX + id,
      target: 'peft_type' in config ? 'encoder' : 'head',
      base: storedBase(base),
      // PEFT's own files carry no labels: then the base model's, if they fit the head.
      labels: adapterLabels(adapter, config.id2label ? undefined : await readModelJson<{ id2label?: Record<string, string> }>(base, 'config.json').then((c) => c.id2label, () => undefined)),
      created: new Date().toISOString(),
      report: null,
    };
    await this.add(info, files, base);
    return info.modelId;
  }
}

/** Refuses an adapter that does not fit its base model (wrong base, rank, shape or module), before it is registered. */
async function checkFits(adapter: Adapter, base: ModelRef): Promise<void> {
  const name = base.kind === 'local' ? base.model.name : base.id;
  const fail = (e: unknown): never => {
    throw new JammiError('bad_adapter', `This adapter cannot be used with ${name}: ${(e as Error).message}`);
  };
  const baseConfig = await readModelJson<Record<string, unknown>>(base, 'config.json').catch(fail);
  if (!('peft_type' in adapter.config)) {
    try {
      checkHeadAdapterFits(adapter.config, baseConfig, name);
    } catch (e) {
      fail(e);
    }
    return;
  }
  const weights = await readModelFile(base, 'model.safetensors').catch(fail);
  try {
    checkEncoderAdapterFits(adapter.config as EncoderAdapterConfig, adapter.tensors, parseSafetensors(new Uint8Array(weights)).tensors, name);
  } catch (e) {
    fail(e);
  }
}

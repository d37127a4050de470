/**
 * `Database.exportModel`: a fine-tuned model as a Hub-layout folder (config.json, tokenizer files,
 * onnx/model.onnx, model.safetensors) that runs in onnxruntime, transformers.js, PyTorch, or this app as a local folder.
 * Built in its own worker (merging and re-encoding a model takes a moment for bigger bases).
 */
import type { ExportApi } from '../../workers/export.worker';
import { asJammiError, JammiError } from '../errors';
import type { FineTunedModels } from './fine-tuned-models';
import { WorkerBridge } from './worker-bridge';

export type ExportModelFormat = 'files' | 'zip';

const makeExportWorker = () => new Worker(new URL('../../workers/export.worker.ts', import.meta.url), { type: 'module', name: 'jammi-export' });

/** A folder name for the export: the base's last path part and the fine-tune's id (`bert-tiny-sentiment-ft-<id>`). */
export function exportFolderName(baseName: string, id: string): string {
  const base = baseName.split('/').pop()!.replace(/[^A-Za-z0-9._-]+/g, '_');
  return `${base}-ft-${id}`;
}

export async function runExportModel(registry: FineTunedModels, modelId: string, format: ExportModelFormat): Promise<{ folder: string; files?: Record<string, Blob>; zip?: Blob }> {
  if (format !== 'files' && format !== 'zip') throw new JammiError('bad_input', `Unknown export format "${format}"; use "files" or "zip".`);
  const { info } = registry.get(modelId);
  const found = registry.lookup(modelId);
  if (!found) throw new JammiError('bad_input', `"${modelId}" is not a fine-tuned model id (they start with jammi:fine-tuned:).`);
  const baseName = found.base.kind === 'local' ? found.base.model.name : found.base.id;
  const folder = exportFolderName(baseName, info.id);
  const bridge = new WorkerBridge<ExportApi>(makeExportWorker, {
    what: `Exporting ${modelId}`,
    crashMessage: (detail) => `The export worker failed: ${detail}`,
    oneShot: true,
  });
  const out = await bridge.call((api) => api.exportModel(found.base, found.files, { modelId, baseModel: baseName, folder }, format)).catch((e: unknown) => {
    const err = asJammiError(e, 'model_config');
    throw new JammiError(err.code, `Could not export ${modelId} as a model: ${err.message}`);
  });
  if (out.zip) return { folder, zip: new Blob([out.zip as Uint8Array<ArrayBuffer>], { type: 'application/zip' }) };
  const files: Record<string, Blob> = {};
  for (const [path, bytes] of Object.entries(out.files ?? {})) files[path] = new Blob([bytes as Uint8Array<ArrayBuffer>], { type: path.endsWith('.json') ? 'application/json' : 'application/octet-stream' });
  return { folder, files };
}

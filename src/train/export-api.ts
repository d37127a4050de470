/**
 * What the export worker exposes: a fine-tuned model's Hub-layout folder (see `../nn/model-export`), built from its base
 * model's files (served, Hub cache or picked folder) and its adapter, as files or as one zip.
 */
import { transfer } from 'comlink';
import { exportModelFolder, zipModelFolder, type ExportInfo } from '../nn/model-export';
import { ModelFileError, readModelFile, type ModelRef } from '../nn/model-files';

export const exportApi = {
  async exportModel(
    base: ModelRef,
    adapterFiles: Record<string, Uint8Array>,
    info: ExportInfo & { folder: string },
    format: 'files' | 'zip',
  ): Promise<{ files?: Record<string, Uint8Array>; zip?: Uint8Array }> {
    const read = async (file: string) => {
      try {
        return new Uint8Array(await readModelFile(base, file));
      } catch (e) {
        if (e instanceof ModelFileError && e.reason === 'missing') return null;
        throw e;
      }
    };
    const files = await exportModelFolder(read, adapterFiles, info);
    if (format === 'files') return { files };
    const zip = zipModelFolder(info.folder, files);
    return transfer({ zip }, [zip.buffer]);
  },
};

export type ExportApi = typeof exportApi;

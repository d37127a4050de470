import { transfer } from 'comlink';
import { tableToIPC } from 'apache-arrow';
import { saveSourceTable } from './source-store';
import { ingestCsv, type IngestInfo, type IngestOptions, type IngestProgress } from './ingest';

/** What the ingest worker exposes: parse a CSV blob, hand back the table as Arrow IPC bytes (transferred, not copied). */
export const ingestApi = {
  async ingest(
    input: Blob,
    options: Omit<IngestOptions, 'onProgress'>,
    onProgress?: (p: IngestProgress) => void,
    /** Also keep the table in the browser's private file system under this source name. */
    persistAs?: string,
  ): Promise<{ ipc: Uint8Array; info: IngestInfo }> {
    const { table, info } = await ingestCsv(input, { ...options, onProgress });
    const ipc = tableToIPC(table, 'stream');
    if (persistAs !== undefined) {
      await saveSourceTable(persistAs, ipc).catch((e) => info.warnings.push(`Not saved for the next visit: ${(e as Error).message}`));
    }
    return transfer({ ipc, info }, [ipc.buffer as ArrayBuffer]);
  },
};

export type IngestApi = typeof ingestApi;

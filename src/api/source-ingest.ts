/**
 * `Database.addSource`'s CSV load (see database.ts): the file is parsed in a fresh ingest worker and comes back as an
 * Arrow table with its `SourceInfo`.
 */
import { tableFromIPC, type Table } from 'apache-arrow';
import type { IngestApi } from '../data/ingest-api';
import type { BadRow, IngestInfo, IngestOptions, IngestProgress } from '../data/ingest';
import { JammiError } from '../errors';
import { proxy, WorkerBridge } from './worker-bridge';

export interface SourceInfo {
  name: string;
  rows: number;
  columns: string[];
  types: Record<string, 'number' | 'text'>;
  encoding: IngestInfo['encoding'];
  delimiter: string;
  warnings: string[];
  badRows: BadRow[];
  badRowCount: number;
  /** Size of the file that was loaded. */
  bytes: number;
}

export interface AddSourceOptions extends Omit<IngestOptions, 'onProgress' | 'chunkBytes'> {
  signal?: AbortSignal;
  onProgress?: (p: IngestProgress) => void;
}

const makeIngestWorker = () =>
  new Worker(new URL('../../workers/ingest.worker.ts', import.meta.url), { type: 'module', name: 'jammi-ingest' });

/** Parses `input` (CSV) in its own worker (saved to OPFS under `name` when `persist`): the table and its info. */
export async function ingestCsv(name: string, input: File | Blob | string, options: AddSourceOptions, persist: boolean): Promise<{ table: Table; info: SourceInfo }> {
  const blob = typeof input === 'string' ? new Blob([input], { type: 'text/csv' }) : input;
  const { signal, onProgress, ...ingestOptions } = options;
  // One fresh worker per load: a cancel terminates it (the only way to stop synchronous parsing mid-flight).
  const bridge = new WorkerBridge<IngestApi>(makeIngestWorker, {
    what: `Loading "${name}"`,
    crashMessage: (detail) => `Loading "${name}" failed in its worker: ${detail}`,
    oneShot: true,
  });
  const { ipc, info } = await bridge
    .call((api) => api.ingest(blob, ingestOptions, onProgress ? proxy(onProgress) : undefined, persist ? name : undefined), { signal })
    .catch((e: unknown) => {
    if (e instanceof Error && e.name !== 'AbortError') {
      const code = e instanceof JammiError && e.code !== 'run_failed' ? e.code : 'bad_csv';
      throw new JammiError(code, `Could not load "${name}": ${e.message}`);
    }
    throw e;
  });
  const source: SourceInfo = {
    name,
    rows: info.rows,
    columns: info.columns.map((c) => c.name),
    types: Object.fromEntries(info.columns.map((c) => [c.name, c.type])),
    encoding: info.encoding,
    delimiter: info.delimiter,
    warnings: info.warnings,
    badRows: info.badRows,
    badRowCount: info.badRowCount,
    bytes: blob.size,
  };
  const table = tableFromIPC(ipc);
  return { table, info: source };
}

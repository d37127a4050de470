/** The label log worker's API (workers/label-log.worker.ts): each call is one transaction under the source's lock. */
import { appendEntry, loadLabels, readSince, removeLabels, type LogEntry } from './label-log';
import { OpfsFiles, withLabelLock } from './label-log-opfs';

let files: Promise<OpfsFiles> | null = null;
const fs = () => (files ??= OpfsFiles.open());

export const labelLogApi = {
  async load(name: string) {
    const f = await fs();
    return withLabelLock(name, () => loadLabels(f, name));
  },
  async since(name: string, gen: number, end: number) {
    const f = await fs();
    return withLabelLock(name, () => readSince(f, name, gen, end));
  },
  async append(name: string, entry: LogEntry) {
    const f = await fs();
    return withLabelLock(name, () => appendEntry(f, name, entry));
  },
  async remove(name: string) {
    const f = await fs();
    return withLabelLock(name, () => removeLabels(f, name));
  },
};

export type LabelLogApi = typeof labelLogApi;

/**
 * The label log's files in the Origin Private File System (`sources/`), through sync access handles: an append
 * writes at the end of the file in place (a writable stream would copy the whole file to a swap file first).
 * Sync access handles exist only in dedicated workers: this module runs in workers/label-log.worker.ts.
 */
import type { LogFiles } from './label-log';

type SyncHandle = {
  read(buf: Uint8Array, o: { at: number }): number;
  write(buf: Uint8Array, o: { at: number }): number;
  getSize(): number;
  truncate(size: number): void;
  flush(): void;
  close(): void;
};

const isNotFound = (e: unknown) => (e as DOMException)?.name === 'NotFoundError';

export class OpfsFiles implements LogFiles {
  constructor(private readonly dir: FileSystemDirectoryHandle) {}

  static async open(): Promise<OpfsFiles> {
    const root = await navigator.storage.getDirectory();
    return new OpfsFiles(await root.getDirectoryHandle('sources', { create: true }));
  }

  private async file(name: string, create: boolean): Promise<FileSystemFileHandle | null> {
    try {
      return await this.dir.getFileHandle(name, { create });
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  private async sync<T>(name: string, create: boolean, fn: (h: SyncHandle) => T): Promise<T | null> {
    const fh = await this.file(name, create);
    if (!fh) return null;
    const h = (await (fh as unknown as { createSyncAccessHandle(): Promise<SyncHandle> }).createSyncAccessHandle()) as SyncHandle;
    try {
      return fn(h);
    } finally {
      h.close();
    }
  }

  async read(file: string, at = 0, length?: number): Promise<Uint8Array | null> {
    return this.sync(file, false, (h) => {
      const size = h.getSize();
      const start = Math.min(Math.max(0, at), size);
      const buf = new Uint8Array(Math.min(length ?? Infinity, size - start));
      if (buf.length > 0) h.read(buf, { at: start });
      return buf;
    });
  }

  async size(file: string): Promise<number> {
    return (await this.sync(file, false, (h) => h.getSize())) ?? 0;
  }

  async append(file: string, bytes: Uint8Array): Promise<number> {
    return (await this.sync(file, true, (h) => {
      const at = h.getSize();
      h.write(bytes, { at });
      h.flush();
      return at;
    }))!;
  }

  async write(file: string, bytes: Uint8Array): Promise<void> {
    await this.sync(file, true, (h) => {
      h.truncate(0);
      h.write(bytes, { at: 0 });
      h.flush();
    });
  }

  async move(from: string, to: string): Promise<void> {
    const fh = await this.file(from, false);
    if (!fh) throw new Error(`move: no file ${from}`);
    const movable = fh as unknown as { move(name: string): Promise<void> };
    try {
      await movable.move(to);
    } catch {
      // NOTE: where move() will not replace a file, remove it first; a crash in between leaves the whole temp file,
      // which a load reads (see label-log.ts).
      await this.remove(to);
      await movable.move(to);
    }
  }

  async remove(file: string): Promise<void> {
    await this.dir.removeEntry(file).catch((e) => {
      if (!isNotFound(e)) throw e;
    });
  }
}

/** Runs `fn` holding this origin's lock on a source's labels (every tab and worker takes the same one). */
export async function withLabelLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return navigator.locks.request(`jammi-labels:${name}`, fn) as Promise<T>;
}

/**
 * The one OPFS file writer (sources, labels and adapters). Safe writes to the Origin Private File System: each file is written whole under a temporary name, then renamed
 * over the old one, so a failed write (a full quota, a closed tab) leaves the saved version as it was. A quota
 * error becomes a StorageError with a message a user can act on.
 */

import { JammiError } from '../errors';

/** Saving to OPFS failed: code `storage_quota` (the site's quota is full) or `storage_failed`. */
export class StorageError extends JammiError {
  constructor(code: 'storage_quota' | 'storage_failed', message: string) {
    super(code, message);
    this.name = 'StorageError';
  }
}

const TMP = '.tmp-';

function isQuota(e: unknown): boolean {
  return e instanceof Error && (e.name === 'QuotaExceededError' || /quota/i.test(e.message));
}

/** `what` names the thing for the message: `the source "reviews"`, `the labels of "reviews"`, `adapter 3f9…`. */
export function storageError(e: unknown, what: string): StorageError {
  if (e instanceof StorageError) return e;
  if (isQuota(e)) {
    return new StorageError(
      'storage_quota',
      `Not enough storage space to save ${what}: this site's browser storage quota is full. Remove sources or fine-tuned models you no longer need (or free disk space); what was saved before is unchanged.`,
    );
  }
  return new StorageError('storage_failed', `Could not save ${what} (${(e as Error)?.message ?? String(e)}); what was saved before is unchanged.`);
}

type Movable = FileSystemFileHandle & { move(name: string): Promise<void> };

/** Writes `data` to `dir/name` all or nothing: a temporary file, then a rename over `name`. */
export async function writeAtomic(dir: FileSystemDirectoryHandle, name: string, data: Uint8Array | string, what: string): Promise<void> {
  const tmp = `${name}${TMP}${Math.random().toString(36).slice(2, 10)}`;
  try {
    const handle = (await dir.getFileHandle(tmp, { create: true })) as Movable;
    const writable = await handle.createWritable();
    try {
      await writable.write(data as FileSystemWriteChunkType);
      await writable.close();
    } catch (e) {
      await writable.abort().catch(() => undefined);
      throw e;
    }
    // NOTE: Chromium's OPFS `move` onto an existing name replaces it in one step.
    await handle.move(name);
  } catch (e) {
    await dir.removeEntry(tmp).catch(() => undefined);
    throw storageError(e, what);
  }
}

/** Leftover temporary files (a tab closed mid-write) are not data: remove them. */
export async function removeTemporaries(dir: FileSystemDirectoryHandle): Promise<void> {
  const names: string[] = [];
  for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) if (key.includes(TMP)) names.push(key);
  for (const n of names) await dir.removeEntry(n).catch(() => undefined);
}

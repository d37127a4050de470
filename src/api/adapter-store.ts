/**
 * Fine-tuned models kept across reloads in the Origin Private File System: `adapters/<id>/` holds the adapter's
 * two files and `meta.json` (written last: a folder without it is incomplete and is ignored). Each file is written
 * all or nothing (../data/opfs); a failed save removes its folder and throws a StorageError.
 */
import { removeTemporaries, writeAtomic } from '../data/opfs';
import { ADAPTER_CONFIG, ADAPTER_WEIGHTS } from '../nn/adapter-files';

async function adaptersDir(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  return (await navigator.storage.getDirectory()).getDirectoryHandle('adapters', { create: true });
}

export async function saveAdapter<Meta>(id: string, files: Record<string, Uint8Array>, meta: Meta): Promise<void> {
  const root = await adaptersDir();
  if (!root) return;
  const dir = await root.getDirectoryHandle(id, { create: true });
  const what = `the fine-tuned model ${id}`;
  try {
    await writeAtomic(dir, ADAPTER_CONFIG, files[ADAPTER_CONFIG], what);
    await writeAtomic(dir, ADAPTER_WEIGHTS, files[ADAPTER_WEIGHTS], what);
    await writeAtomic(dir, 'meta.json', JSON.stringify(meta), what);
  } catch (e) {
    // Ids are new for every model: an incomplete folder is this save's alone; free its space.
    await root.removeEntry(id, { recursive: true }).catch(() => undefined);
    throw e;
  }
}

export async function deleteAdapter(id: string): Promise<void> {
  const root = await adaptersDir();
  await root?.removeEntry(id, { recursive: true }).catch(() => undefined);
}

export async function loadAdapters<Meta>(): Promise<{ id: string; files: Record<string, Uint8Array>; meta: Meta }[]> {
  const root = await adaptersDir();
  if (!root) return [];
  const out: { id: string; files: Record<string, Uint8Array>; meta: Meta }[] = [];
  for await (const [id, handle] of (root as unknown as { entries(): AsyncIterable<[string, FileSystemHandle]> }).entries()) {
    if (handle.kind !== 'directory') continue;
    const dir = handle as FileSystemDirectoryHandle;
    await removeTemporaries(dir).catch(() => undefined);
    try {
      const read = async (name: string) => new Uint8Array(await (await (await dir.getFileHandle(name)).getFile()).arrayBuffer());
      const meta = JSON.parse(new TextDecoder().decode(await read('meta.json'))) as Meta;
      out.push({ id, meta, files: { [ADAPTER_CONFIG]: await read(ADAPTER_CONFIG), [ADAPTER_WEIGHTS]: await read(ADAPTER_WEIGHTS) } });
    } catch {
      await root.removeEntry(id, { recursive: true }).catch(() => undefined);
    }
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

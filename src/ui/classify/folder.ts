import type { LocalModel } from '../../api/infer';

/**
 * A model folder from a directory picker (`<input webkitdirectory>`): files keyed by their path under the picked
 * folder (`config.json`, `onnx/model.onnx`). The files stay in this page; nothing is uploaded.
 */
export function folderFromFileList(list: FileList | File[]): LocalModel | null {
  const files = [...list];
  if (files.length === 0) return null;
  const first = files[0].webkitRelativePath || files[0].name;
  const root = first.includes('/') ? first.slice(0, first.indexOf('/')) : 'model';
  const out: Record<string, Blob> = {};
  for (const f of files) {
    const rel = f.webkitRelativePath || f.name;
    out[rel.startsWith(root + '/') ? rel.slice(root.length + 1) : rel] = f;
  }
  return { name: root, files: out };
}

/** A model folder dropped on the page, read through the File System entries API. */
export async function folderFromDrop(items: DataTransferItemList): Promise<LocalModel | null> {
  const entry = [...items].map((i) => i.webkitGetAsEntry?.()).find((e) => e?.isDirectory) as FileSystemDirectoryEntry | undefined;
  if (!entry) return null;
  const files: Record<string, Blob> = {};
  const walk = async (dir: FileSystemDirectoryEntry, prefix: string): Promise<void> => {
    const reader = dir.createReader();
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
      if (batch.length === 0) break;
      for (const e of batch) {
        if (e.isDirectory) await walk(e as FileSystemDirectoryEntry, `${prefix}${e.name}/`);
        else files[`${prefix}${e.name}`] = await new Promise<File>((resolve, reject) => (e as FileSystemFileEntry).file(resolve, reject));
      }
    }
  };
  await walk(entry, '');
  return { name: entry.name, files };
}

/**
 * Keeps loaded sources across reloads in the Origin Private File System: one `<name>.arrow` (Arrow IPC stream)
 * and one `<name>.json` (the ingest info) per source, under `sources/`. Nothing leaves the machine.
 */
export interface StoredSource<Info> {
  ipc: Uint8Array;
  info: Info;
}

import { removeTemporaries, writeAtomic } from './opfs';

const DIR = 'sources';

async function sourcesDir(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(DIR, { create: true });
}

const fileName = (name: string) => encodeURIComponent(name);

/** Writes a source's table; called from the ingest worker, so a large copy never blocks the page. */
export async function saveSourceTable(name: string, ipc: Uint8Array): Promise<void> {
  const dir = await sourcesDir();
  if (!dir) return;
  await writeAtomic(dir, `${fileName(name)}.arrow`, ipc, `the source "${name}"`);
}

/** Writes a source's info, after its table: a table without info is incomplete and is removed on load. */
export async function saveSourceInfo<Info>(name: string, info: Info): Promise<void> {
  const dir = await sourcesDir();
  if (!dir) return;
  await writeAtomic(dir, `${fileName(name)}.json`, JSON.stringify(info), `the source "${name}"`);
}

export async function deleteSource(name: string): Promise<void> {
  const dir = await sourcesDir();
  if (!dir) return;
  for (const ext of ['.json', '.arrow', '.labels.json', '.labels.json.tmp', '.labels.log']) await dir.removeEntry(fileName(name) + ext).catch(() => undefined);
}

export async function loadSources<Info>(): Promise<Map<string, StoredSource<Info>>> {
  const out = new Map<string, StoredSource<Info>>();
  const dir = await sourcesDir();
  if (!dir) return out;
  await removeTemporaries(dir);
  const names: string[] = [];
  for await (const key of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (key.endsWith('.arrow')) names.push(key.slice(0, -'.arrow'.length));
  }
  for (const stored of names.sort()) {
    try {
      const info = JSON.parse(await (await (await dir.getFileHandle(`${stored}.json`)).getFile()).text()) as Info;
      const ipc = new Uint8Array(await (await (await dir.getFileHandle(`${stored}.arrow`)).getFile()).arrayBuffer());
      out.set(decodeURIComponent(stored), { ipc, info });
    } catch {
      await dir.removeEntry(`${stored}.arrow`).catch(() => undefined);
    }
  }
  return out;
}

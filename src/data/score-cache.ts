/**
 * Per-row class probabilities kept in the Origin Private File System across reloads (a classifier suggester's
 * predictions over a source's text column), so a reload does not run the model again. One file per entry under
 * `scores/`: `<source>.<hash of key>.scores` = a 4-byte little-endian header length, the JSON header
 * `{ key, classes, rows }`, padding to 8 bytes, then `rows × classes` float64 values.
 */
import { removeTemporaries, writeAtomic } from './opfs';

const DIR = 'scores';

export interface StoredScores {
  classes: string[];
  /** [rows × classes] */
  probs: Float64Array;
}

async function scoresDir(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  const root = await navigator.storage.getDirectory();
  return root.getDirectoryHandle(DIR, { create: true });
}

/** FNV-1a (32 bit) of a string, continuing from `h`: a short file name for a long key, a hash of many texts. */
export function fnv1a(text: string, h = 0x811c9dc5): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

const fileName = (source: string, key: string) => `${encodeURIComponent(source)}.${fnv1a(key).toString(16).padStart(8, '0')}.scores`;

export function encodeScores(key: string, s: StoredScores): Uint8Array {
  const header = new TextEncoder().encode(JSON.stringify({ key, classes: s.classes, rows: s.probs.length / Math.max(1, s.classes.length) }));
  const start = Math.ceil((4 + header.length) / 8) * 8;
  const out = new Uint8Array(start + s.probs.byteLength);
  new DataView(out.buffer).setUint32(0, header.length, true);
  out.set(header, 4);
  out.set(new Uint8Array(s.probs.buffer, s.probs.byteOffset, s.probs.byteLength), start);
  return out;
}

/** The entry stored under `key`, or null when the bytes are another key's (a hash collision) or damaged. */
export function decodeScores(key: string, bytes: Uint8Array): StoredScores | null {
  if (bytes.length < 4) return null;
  const length = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0, true);
  if (4 + length > bytes.length) return null;
  let header: { key?: unknown; classes?: unknown; rows?: unknown };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + length)));
  } catch {
    return null;
  }
  const { classes, rows } = header;
  if (header.key !== key || !Array.isArray(classes) || typeof rows !== 'number') return null;
  const start = Math.ceil((4 + length) / 8) * 8;
  if (bytes.length - start !== rows * classes.length * 8) return null;
  return { classes: classes.map(String), probs: new Float64Array(bytes.slice(start).buffer) };
}

/** Saves an entry (best effort is the caller's choice: a full quota rejects with a StorageError). */
export async function saveScores(source: string, key: string, s: StoredScores): Promise<void> {
  const dir = await scoresDir();
  if (dir) await writeAtomic(dir, fileName(source, key), encodeScores(key, s), `the suggester's predictions for "${source}"`);
}

export async function loadScores(source: string, key: string): Promise<StoredScores | null> {
  const dir = await scoresDir();
  if (!dir) return null;
  try {
    const file = await (await dir.getFileHandle(fileName(source, key))).getFile();
    return decodeScores(key, new Uint8Array(await file.arrayBuffer()));
  } catch {
    return null; // not stored
  }
}

/** Removes every entry of a source (it was removed, or replaced by another of the same name). */
export async function deleteScores(source: string): Promise<void> {
  const dir = await scoresDir();
  if (!dir) return;
  await removeTemporaries(dir);
  const prefix = `${encodeURIComponent(source)}.`;
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (name.startsWith(prefix) && name.endsWith('.scores') && !name.slice(prefix.length, -'.scores'.length).includes('.')) names.push(name);
  }
  for (const name of names) await dir.removeEntry(name).catch(() => undefined);
}

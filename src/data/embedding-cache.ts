/**
 * Frozen sentence embeddings of a source's text column, cached in the Origin Private File System per (source, text
 * column, model): computed once, read back on every retrain and every visit, never recomputed while the column's
 * texts stay the same. Layout, under `embeddings/<source>/<hash of column + model>/`:
 *
 *   meta.json        { format, source, column, model, textHash, rows, dim, chunkRows }
 *   c<i>.f32         rows i·chunkRows … of the L2-normalised embeddings, float32, row-major
 *
 * Each chunk is written whole (src/data/opfs writeAtomic), so a cancel, a closed tab or a full quota leaves the
 * chunks before it usable: the next run embeds only what is missing. A different text hash (the source's rows
 * changed) or an unreadable meta throws the folder away. Works on any FileSystemDirectoryHandle (tests pass an
 * in-memory one).
 */
import { removeTemporaries, writeAtomic } from './opfs';

const FORMAT = 1;
const DIR = 'embeddings';
/** Rows per chunk file: a cancel loses at most one chunk's work. */
export const CHUNK_ROWS = 512;

export interface EmbeddingKey {
  source: string;
  column: string;
  /** What identifies the model's weights (id, host and revision; or a local folder's name and file sizes). */
  model: string;
}

interface Meta extends EmbeddingKey {
  format: number;
  textHash: string;
  rows: number;
  dim: number;
  chunkRows: number;
}

export interface EmbeddingMatrix {
  rows: number;
  dim: number;
  /** [rows × dim], row-major, each row of L2 norm 1 (or 0 for an all-zero embedding). */
  data: Float32Array;
}

/** Embeds texts (already in the cache's row order); calls `onRows` with the rows done so far of this call. */
export type EmbedTexts = (texts: string[], onRows: (done: number) => void) => Promise<Float32Array[]>;

export interface EnsureProgress {
  /** Rows embedded or read back so far, of `total`. */
  done: number;
  total: number;
  /** Rows found in the cache (not embedded again). */
  cached: number;
}

export interface EnsureResult extends EmbeddingMatrix {
  /** Rows embedded by this call (0: everything came from the cache). */
  computed: number;
  ms: number;
}

async function hex(data: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(data));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** A fingerprint of a column's texts, in row order: any changed, added or removed row changes it. */
export async function textFingerprint(texts: readonly (string | null)[]): Promise<string> {
  // NOTE: JSON keeps null apart from '' and a text with a newline apart from two rows.
  return hex(JSON.stringify(texts));
}

export async function embeddingsRoot(): Promise<FileSystemDirectoryHandle | null> {
  if (typeof navigator === 'undefined' || !navigator.storage?.getDirectory) return null;
  return (await navigator.storage.getDirectory()).getDirectoryHandle(DIR, { create: true });
}

async function folderOf(root: FileSystemDirectoryHandle, key: EmbeddingKey, create: boolean): Promise<FileSystemDirectoryHandle | null> {
  try {
    const source = await root.getDirectoryHandle(encodeURIComponent(key.source), { create });
    return await source.getDirectoryHandle((await hex(JSON.stringify([key.column, key.model]))).slice(0, 32), { create });
  } catch {
    return null;
  }
}

async function readFile(dir: FileSystemDirectoryHandle, name: string): Promise<File | null> {
  try {
    return await (await dir.getFileHandle(name)).getFile();
  } catch {
    return null;
  }
}

const chunkName = (i: number) => `c${i}.f32`;

/** Removes every cached embedding of a source (it was removed). */
export async function deleteEmbeddings(source: string, root?: FileSystemDirectoryHandle | null): Promise<void> {
  const dir = root === undefined ? await embeddingsRoot() : root;
  await dir?.removeEntry(encodeURIComponent(source), { recursive: true }).catch(() => undefined);
}

/** What the cache holds for a key and these texts: the rows cached so far (0 when none or stale). */
export async function cachedRows(root: FileSystemDirectoryHandle, key: EmbeddingKey, texts: readonly (string | null)[]): Promise<number> {
  const dir = await folderOf(root, key, false);
  if (!dir) return 0;
  const meta = await readMeta(dir);
  if (!meta || meta.textHash !== (await textFingerprint(texts)) || meta.rows !== texts.length) return 0;
  let rows = 0;
  for (let i = 0; i * meta.chunkRows < meta.rows; i++) {
    const f = await readFile(dir, chunkName(i));
    if (f && f.size === chunkLength(meta, i) * meta.dim * 4) rows += chunkLength(meta, i);
  }
  return rows;
}

async function readMeta(dir: FileSystemDirectoryHandle): Promise<Meta | null> {
  const f = await readFile(dir, 'meta.json');
  if (!f) return null;
  try {
    const m = JSON.parse(await f.text()) as Meta;
    return m.format === FORMAT && m.dim > 0 && m.chunkRows > 0 ? m : null;
  } catch {
    return null;
  }
}

const chunkLength = (m: Pick<Meta, 'rows' | 'chunkRows'>, i: number) => Math.min(m.chunkRows, m.rows - i * m.chunkRows);

/**
 * The embeddings of `texts` under `key`: read from the cache where it has them, embedded (by `embed`, in chunks of
 * CHUNK_ROWS, each written as soon as it is done) where not. `shouldStop` is asked between chunks and `embed` may
 * throw to stop within one (a cancel): the chunks written so far stay. Without a root (no OPFS) nothing is cached.
 */
export async function ensureEmbeddings(opts: {
  root: FileSystemDirectoryHandle | null;
  key: EmbeddingKey;
  texts: readonly (string | null)[];
  embed: EmbedTexts;
  onProgress?: (p: EnsureProgress) => void;
  chunkRows?: number;
}): Promise<EnsureResult> {
  const t0 = performance.now();
  const { root, key, texts } = opts;
  const rows = texts.length;
  const textHash = await textFingerprint(texts);
  const dir = root ? await folderOf(root, key, true) : null;
  if (dir) await removeTemporaries(dir); // a write a closed tab or a terminated worker left half done
  let meta = dir ? await readMeta(dir) : null;
  if (dir && meta && (meta.textHash !== textHash || meta.rows !== rows || meta.model !== key.model || meta.column !== key.column)) {
    // The source's rows changed (or another key hashed here): nothing in the folder is valid.
    await clearFolder(dir);
    meta = null;
  }
  const chunkRows = meta?.chunkRows ?? opts.chunkRows ?? CHUNK_ROWS;
  const chunks = Math.ceil(rows / chunkRows);
  const parts: (Float32Array | null)[] = new Array(chunks).fill(null);
  let dim = meta?.dim ?? 0;
  let cached = 0;
  if (dir && meta) {
    for (let i = 0; i < chunks; i++) {
      const f = await readFile(dir, chunkName(i));
      const n = chunkLength(meta, i);
      if (f && f.size === n * dim * 4) {
        parts[i] = new Float32Array(await f.arrayBuffer());
        cached += n;
      }
    }
  }
  let done = cached;
  opts.onProgress?.({ done, total: rows, cached });
  let computed = 0;
  for (let i = 0; i < chunks; i++) {
    if (parts[i]) continue;
    const start = i * chunkRows;
    const slice = texts.slice(start, start + chunkRows).map((t) => t ?? '');
    const vectors = normalize(await opts.embed(slice, (n) => opts.onProgress?.({ done: done + n, total: rows, cached })));
    if (vectors.length !== slice.length) throw new Error(`The embedder returned ${vectors.length} embeddings for ${slice.length} texts.`);
    dim ||= vectors[0]?.length ?? 0;
    const part = new Float32Array(slice.length * dim);
    vectors.forEach((v, r) => {
      if (v.length !== dim) throw new Error(`The embedder returned embeddings of ${v.length} and ${dim} dimensions.`);
      part.set(v, r * dim);
    });
    parts[i] = part;
    if (dir) {
      if (!meta) {
        meta = { format: FORMAT, ...key, textHash, rows, dim, chunkRows };
        await writeAtomic(dir, 'meta.json', JSON.stringify(meta), `the embeddings of "${key.source}"`);
      }
      await writeAtomic(dir, chunkName(i), new Uint8Array(part.buffer), `the embeddings of "${key.source}"`);
    }
    done += slice.length;
    computed += slice.length;
    opts.onProgress?.({ done, total: rows, cached });
  }
  const data = new Float32Array(rows * dim);
  parts.forEach((p, i) => data.set(p!, i * chunkRows * dim));
  return { rows, dim, data, computed, ms: performance.now() - t0 };
}

async function clearFolder(dir: FileSystemDirectoryHandle): Promise<void> {
  const names: string[] = [];
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) names.push(name);
  for (const n of names) await dir.removeEntry(n).catch(() => undefined);
}

/** Rows scaled to L2 norm 1 (an all-zero row stays 0): cosine is then a dot product. */
function normalize(rows: Float32Array[]): Float32Array[] {
  return rows.map((r) => {
    let n = 0;
    for (let j = 0; j < r.length; j++) n += r[j] * r[j];
    if (n === 0) return Float32Array.from(r);
    const s = 1 / Math.sqrt(n);
    return r.map((v) => v * s);
  });
}

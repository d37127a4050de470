/**
 * Where a model's files come from: the models directory served with the app (`/models/<id>/resolve/main/<file>`)
 * or a Hub-layout host (default huggingface.co), every file kept in Cache Storage so the next visit works offline;
 * or a folder the user picked (its files are read in place and never leave the machine).
 */
import { JammiError } from '../errors';

export const DEFAULT_HUB_HOST = 'https://huggingface.co';
export const MODEL_CACHE_NAME = 'jammi-models-v1';

/** A model folder the user picked or dropped: paths relative to the folder root (`config.json`, `onnx/model.onnx`). */
export interface LocalModel {
  name: string;
  files: Record<string, Blob>;
}

export type ModelRef =
  | { kind: 'served'; id: string }
  | { kind: 'hub'; id: string; host: string; revision: string }
  | { kind: 'local'; model: LocalModel };

export function modelName(ref: ModelRef): string {
  return ref.kind === 'local' ? ref.model.name : ref.id;
}

/** Why a file could not be read: `missing` (404 or not in the folder), `refused` (an unsafe id or name) or `unreadable`. */
export class ModelFileError extends JammiError {
  constructor(
    readonly file: string,
    readonly reason: 'missing' | 'unreadable' | 'refused',
    detail: string,
  ) {
    super('model_file', `${file} is ${reason}: ${detail}`);
    this.name = 'ModelFileError';
  }
}

/**
 * Why a model id or file name is refused, or null when it is safe: a Hub id is `name` or `owner/name` of letters,
 * digits, `-`, `_`, `.`; a file is a relative path of such segments. No `.`/`..` segment, absolute path, backslash,
 * `%` (an encoded slash or dot) or control character can reach a URL, so nothing escapes the model's folder.
 */
export function unsafeModelPath(value: string, what: 'id' | 'file'): string | null {
  if (value.length === 0 || value.length > 512) return `a ${what === 'id' ? 'model id' : 'file name'} must be 1–512 characters`;
  if (/[\\%?#]|[\u0000-\u001f\u007f]/.test(value)) return 'it holds a backslash, %, ?, # or a control character';
  if (value.startsWith('/') || /^[a-z][a-z0-9+.-]*:/i.test(value)) return 'it is an absolute path or a URL';
  const segments = value.split('/');
  if (what === 'id' && segments.length > 2) return 'a model id is "name" or "owner/name"';
  for (const seg of segments) {
    if (seg === '' || seg === '.' || seg === '..') return 'it has an empty, "." or ".." path segment';
    if (!/^[\w.-]+$/.test(seg)) return `"${seg}" holds characters other than letters, digits, "-", "_" and "."`;
  }
  return null;
}

function checkedPath(value: string, what: 'id' | 'file', file: string): string {
  const why = unsafeModelPath(value, what);
  if (why) throw new ModelFileError(file, 'refused', `${what === 'id' ? 'model id' : 'file name'} ${JSON.stringify(value)} is refused: ${why}`);
  return value;
}

function fileUrl(ref: ModelRef, file: string): string {
  if (ref.kind !== 'local') checkedPath(ref.id, 'id', file);
  const path = checkedPath(file, 'file', file).split('/').map(encodeURIComponent).join('/');
  if (ref.kind === 'served') return new URL(`/models/${encodeURIComponent(ref.id)}/resolve/main/${path}`, self.location.origin).href;
  if (ref.kind === 'hub') return `${ref.host.replace(/\/+$/, '')}/${ref.id}/resolve/${encodeURIComponent(ref.revision)}/${path}`;
  throw new Error('A local model has no URL.');
}

async function modelCache(): Promise<Cache | undefined> {
  return typeof caches !== 'undefined' ? caches.open(MODEL_CACHE_NAME).catch(() => undefined) : undefined;
}

async function keep(cache: Cache | undefined, url: string, response: Response): Promise<void> {
  await cache?.put(url, response).catch((e) => console.warn(`jammi: could not cache ${url}`, e));
}

/**
 * Reads one file of a model.
 * - A picked folder: the file itself.
 * - The Hub: Cache Storage first; else the host, then cached.
 * - Served with the app: the network first, revalidated by ETag (a changed file is seen; an unchanged one is not
 *   downloaded again), then cached.
 * With no network, both fall back to what the last visit kept, a 404 included (so an optional file that was missing
 * online is still `missing` offline, not `unreadable`).
 */
export async function readModelFile(ref: ModelRef, file: string): Promise<ArrayBuffer> {
  if (ref.kind === 'local') {
    const blob = ref.model.files[file];
    if (!blob) throw new ModelFileError(file, 'missing', `not in the folder "${ref.model.name}"`);
    try {
      return await blob.arrayBuffer();
    } catch (e) {
      throw new ModelFileError(file, 'unreadable', (e as Error).message);
    }
  }
  const url = fileUrl(ref, file);
  const cache = await modelCache();
  const hit = await cache?.match(url);
  if (ref.kind === 'hub' && hit?.ok) return hit.arrayBuffer();
  const etag = ref.kind === 'served' && hit?.ok ? hit.headers.get('ETag') : null;
  let res: Response;
  try {
    res = await fetch(url, { cache: 'no-store', headers: etag ? { 'If-None-Match': etag } : {} });
  } catch (e) {
    if (hit?.ok) return hit.arrayBuffer();
    if (hit?.status === 404) throw new ModelFileError(file, 'missing', `${url} answered 404 when last online`);
    throw new ModelFileError(
      file,
      'unreadable',
      `could not fetch ${url} (${(e as Error).message || 'network error'}), and no earlier visit kept it in this browser`,
    );
  }
  if (res.status === 304 && hit?.ok) return hit.arrayBuffer();
  if (res.status === 404) {
    await keep(cache, url, new Response(null, { status: 404 }));
    throw new ModelFileError(file, 'missing', `${url} answered 404`);
  }
  if (!res.ok) throw new ModelFileError(file, 'unreadable', `${url} answered ${res.status}`);
  const bytes = await res.arrayBuffer();
  const headers: Record<string, string> = { 'Content-Type': res.headers.get('Content-Type') ?? 'application/octet-stream' };
  const tag = res.headers.get('ETag');
  if (tag) headers.ETag = tag;
  await keep(cache, url, new Response(bytes, { headers }));
  return bytes;
}

export async function readModelJson<T>(ref: ModelRef, file: string): Promise<T> {
  const bytes = await readModelFile(ref, file);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new ModelFileError(file, 'unreadable', `not valid JSON (${(e as Error).message})`);
  }
}

/**
 * Names of the models served with the app (`JAMMI_MODELS_DIR`); empty when none are. With no network, the list
 * the last visit saw (its models classify offline if they were used then).
 */
export async function listServedModels(): Promise<string[]> {
  const url = new URL('/models/index.json', self.location.origin).href;
  const cache = await modelCache();
  let body: { models?: unknown };
  try {
    const res = await fetch(url, { cache: 'no-store' });
    if (!res.ok) return [];
    const text = await res.text();
    body = JSON.parse(text) as typeof body;
    await keep(cache, url, new Response(text, { headers: { 'Content-Type': 'application/json' } }));
  } catch {
    try {
      body = ((await (await cache?.match(url))?.json()) ?? {}) as typeof body;
    } catch {
      return [];
    }
  }
  return Array.isArray(body.models) ? body.models.filter((m): m is string => typeof m === 'string') : [];
}

/**
 * safetensors read (F32, F16, BF16 → Float32Array) and write (F32).
 *
 * Layout: u64 little-endian header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]},
 * "__metadata__"?: {string: string}}, then the data block (offsets are relative to its start).
 * Every length and offset is bounds-checked: a corrupted or truncated file throws a SafetensorsError.
 * No Node APIs: runs in a browser worker.
 */
import { JammiError } from '../errors';

/** A malformed or corrupt safetensors file: a JammiError with code `model_file`. */
export class SafetensorsError extends JammiError {
  constructor(message: string) {
    super('model_file', `safetensors: ${message}`);
    this.name = 'SafetensorsError';
  }
}

const BYTES: Record<string, number> = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };

/** A header sanity limit: real headers are kilobytes; this rejects garbage lengths before allocating. */
const MAX_HEADER = 100 * 1024 * 1024;

export interface TensorInfo {
  dtype: string;
  shape: number[];
  /** Byte range inside the file (absolute, already offset past the header). */
  begin: number;
  end: number;
}

export interface SafetensorsFile {
  metadata: Record<string, string>;
  tensors: Map<string, TensorInfo>;
  /** Decode a tensor to float32 (F32, F16, BF16). Throws for unknown names, other dtypes and NaN or infinite values. */
  getFloat32(name: string, options?: { allowNonFinite?: boolean }): Float32Array;
}

export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (bytes.length < 8) throw new SafetensorsError(`file of ${bytes.length} bytes is shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n64 = dv.getBigUint64(0, true);
  if (n64 > BigInt(Math.min(MAX_HEADER, bytes.length - 8)))
    throw new SafetensorsError(`header length ${n64} exceeds the file (${bytes.length} bytes) or the ${MAX_HEADER}-byte limit`);
  const n = Number(n64);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (e) {
    throw new SafetensorsError(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) throw new SafetensorsError('header is not a JSON object');
  const dataStart = 8 + n;
  const dataLen = bytes.length - dataStart;
  const tensors = new Map<string, TensorInfo>();
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new SafetensorsError('__metadata__ is not an object');
      metadata = Object.fromEntries(Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (e === null || typeof e !== 'object') throw new SafetensorsError(`entry ${name} is not an object`);
    const { dtype, shape, data_offsets: off } = e;
    if (typeof dtype !== 'string' || !(dtype in BYTES)) throw new SafetensorsError(`${name}: unsupported dtype ${String(dtype)}`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(`${name}: bad shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every((o) => Number.isSafeInteger(o) && o >= 0))
      throw new SafetensorsError(`${name}: bad data_offsets ${JSON.stringify(off)}`);
    const [b, en] = off as [number, number];
    if (b > en || en > dataLen) throw new SafetensorsError(`${name}: data_offsets [${b}, ${en}] outside the ${dataLen}-byte data block (truncated file?)`);
    const numel = (shape as number[]).reduce((a, d) => a * d, 1);
    if (!Number.isSafeInteger(numel * BYTES[dtype])) throw new SafetensorsError(`${name}: shape [${shape}] is too large`);
    if (numel * BYTES[dtype] !== en - b) throw new SafetensorsError(`${name}: ${en - b} bytes for ${dtype} [${shape}] (expected ${numel * BYTES[dtype]})`);
    tensors.set(name, { dtype, shape: shape as number[], begin: dataStart + b, end: dataStart + en });
  }
  checkNoOverlap(tensors);
  return {
    metadata,
    tensors,
    getFloat32(name: string, options: { allowNonFinite?: boolean } = {}): Float32Array {
      const t = tensors.get(name);
      if (t === undefined) throw new SafetensorsError(`no tensor named ${name}`);
      const out = decode(bytes, t, name);
      if (options.allowNonFinite) return out;
      for (let i = 0; i < out.length; i++) {
        // NOTE: x - x is 0 for every finite x and NaN for NaN and ±Infinity: one test for both.
        if (out[i] - out[i] !== 0) throw new SafetensorsError(`${name} holds ${Number.isNaN(out[i]) ? 'NaN' : 'an infinite value'} at index ${i}: the weights are corrupt`);
      }
      return out;
    },
  };
}

/** Two tensors may not share bytes (the reference implementation refuses such files too). */
function checkNoOverlap(tensors: Map<string, TensorInfo>): void {
  const spans = [...tensors].filter(([, t]) => t.end > t.begin).sort((a, b) => a[1].begin - b[1].begin);
  for (let i = 1; i < spans.length; i++) {
    const [prevName, prev] = spans[i - 1];
    const [name, t] = spans[i];
    if (t.begin < prev.end) throw new SafetensorsError(`${name} and ${prevName} overlap (data_offsets share bytes ${t.begin}–${Math.min(prev.end, t.end)})`);
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function decode(bytes: Uint8Array, t: TensorInfo, name: string): Float32Array {
  const count = (t.end - t.begin) / BYTES[t.dtype];
  const dv = new DataView(bytes.buffer, bytes.byteOffset + t.begin, t.end - t.begin);
  const out = new Float32Array(count);
  switch (t.dtype) {
    case 'F32':
      // NOTE: fast path assumes a little-endian host (every browser platform); unaligned data takes the DataView path.
      if ((bytes.byteOffset + t.begin) % 4 === 0 && LITTLE_ENDIAN) return new Float32Array(bytes.buffer, bytes.byteOffset + t.begin, count).slice();
      for (let i = 0; i < count; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    case 'F16':
      for (let i = 0; i < count; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
      return out;
    case 'BF16': {
      const u = new Uint32Array(out.buffer);
      for (let i = 0; i < count; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      throw new SafetensorsError(`${name}: dtype ${t.dtype} cannot be read as float`);
  }
}

/** IEEE 754 binary16 → number (subnormals, infinities and NaN included). */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f === 0 ? s * Infinity : NaN;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

export interface F32Entry {
  shape: readonly number[];
  data: Float32Array;
}

/** Serialise float32 tensors (names sorted, header padded to 8 bytes as the reference writer does). */
export function writeSafetensors(tensors: Record<string, F32Entry>, metadata: Record<string, string> = {}): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  let off = 0;
  for (const name of names) {
    const t = tensors[name];
    const numel = t.shape.reduce((a, d) => a * d, 1);
    if (numel !== t.data.length) throw new SafetensorsError(`${name}: ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: 'F32', shape: [...t.shape], data_offsets: [off, off + 4 * numel] };
    off += 4 * numel;
  }
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (8 - (json.length % 8)) % 8;
  if (pad > 0) {
    const padded = new Uint8Array(json.length + pad).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + off);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const name of names) {
    const d = tensors[name].data;
    for (let i = 0; i < d.length; i++, at += 4) dv.setFloat32(at, d[i], true);
  }
  return out;
}

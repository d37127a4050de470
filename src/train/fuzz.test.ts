/**
 * Bounded, seeded fuzzing of the three parsers that read files a user hands us: the safetensors header, CSV ingest
 * (with its dialect sniffer) and adapter zips. 10,000 cases in all; each must either succeed or throw the parser's
 * own typed error — never hang, crash or throw anything else (a TypeError or RangeError is a bug).
 * A failure prints the seed and case number, so it can be replayed.
 */
import { describe, expect, it } from 'vitest';
import { SafetensorsError, parseSafetensors, writeSafetensors } from '../nn/safetensors';
import { AdapterError, readAdapter, unzipAdapter, writeAdapter, zipAdapter } from '../nn/adapter-files';
import { validAdapterParts } from '../../e2e/corpus/derive';
import { IngestError } from '../data/errors';
import { ingestCsv } from '../data/ingest';

export const FUZZ_CASES = { safetensors: 4000, csv: 3000, adapterZip: 3000 };
const SEED = 20261201;

/** mulberry32: small, fast, seeded. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]) => xs[int(xs.length)];
  return { next, int, pick };
}
type Rng = ReturnType<typeof rng>;

/** Byte-level mutations: flips, overwrites with edge values, insertions, deletions, truncation, duplication. */
function mutate(r: Rng, src: Uint8Array, count = 1 + r.int(4)): Uint8Array {
  let b = src.slice();
  for (let k = 0; k < count; k++) {
    const at = r.int(Math.max(1, b.length));
    switch (r.int(6)) {
      case 0:
        if (b.length) b[at] ^= 1 << r.int(8);
        break;
      case 1:
        if (b.length) b[at] = r.pick([0, 0xff, 0x7f, 0x80, 0x22, 0x2c, 0x0a, 0x0d, 0x7b, 0x7d, 0x5b, 0x5d, 0x30, 0x39]);
        break;
      case 2: {
        const ins = Uint8Array.from({ length: 1 + r.int(8) }, () => r.int(256));
        b = Uint8Array.from([...b.subarray(0, at), ...ins, ...b.subarray(at)]);
        break;
      }
      case 3:
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + 1 + r.int(16)))]);
        break;
      case 4:
        b = b.slice(0, at);
        break;
      case 5:
        b = Uint8Array.from([...b, ...b.subarray(at, at + r.int(64))]);
        break;
    }
  }
  return b;
}

function expectOnly(kind: new (...a: never[]) => Error, e: unknown, where: string): void {
  if (!(e instanceof kind)) throw new Error(`${where}: threw ${(e as Error)?.name ?? typeof e}: ${(e as Error)?.message ?? String(e)}`);
}

describe('fuzz', () => {
  it(`safetensors header parser: ${FUZZ_CASES.safetensors} cases`, () => {
    const r = rng(SEED);
    const valid = writeSafetensors(
      { a: { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }, b: { shape: [1], data: Float32Array.from([7]) }, c: { shape: [0], data: new Float32Array(0) } },
      { format: 'pt' },
    );
    const enc = new TextEncoder();
    const dtypes = ['F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL', 'F8', '', 'f32'];
    const vals = [0, 1, 4, 8, -1, 1.5, 2 ** 53, 2 ** 60, 'x', null, [], {}, true];
    let ok = 0;
    for (let i = 0; i < FUZZ_CASES.safetensors; i++) {
      let bytes: Uint8Array;
      if (i % 2 === 0) bytes = mutate(r, valid);
      else {
        // A random header over a random data block, from a small grammar of plausible and implausible entries.
        const header: Record<string, unknown> = {};
        for (let k = r.int(4); k >= 0; k--) {
          const entry: Record<string, unknown> = {};
          if (r.next() < 0.9) entry.dtype = r.pick(dtypes);
          if (r.next() < 0.9) entry.shape = r.next() < 0.8 ? Array.from({ length: r.int(3) }, () => r.int(5)) : r.pick(vals);
          if (r.next() < 0.9) entry.data_offsets = r.next() < 0.8 ? [r.int(40), r.int(40)] : [r.pick(vals), r.pick(vals)];
          header[r.next() < 0.1 ? '__metadata__' : `t${k}`] = r.next() < 0.05 ? r.pick(vals) : entry;
        }
        const json = enc.encode(JSON.stringify(header));
        const data = Uint8Array.from({ length: r.int(48) }, () => r.int(256));
        bytes = new Uint8Array(8 + json.length + data.length);
        const len = r.next() < 0.9 ? BigInt(json.length) : BigInt(r.int(2 ** 31)) * BigInt(r.int(4) + 1);
        new DataView(bytes.buffer).setBigUint64(0, len, true);
        bytes.set(json, 8);
        bytes.set(data, 8 + json.length);
      }
      try {
        const f = parseSafetensors(bytes);
        for (const name of f.tensors.keys()) {
          try {
            const v = f.getFloat32(name);
            expect(v.length).toBe(f.tensors.get(name)!.shape.reduce((a, d) => a * d, 1));
          } catch (e) {
            expectOnly(SafetensorsError, e, `seed ${SEED} case ${i} tensor ${name}`);
          }
        }
        ok++;
      } catch (e) {
        expectOnly(SafetensorsError, e, `seed ${SEED} case ${i}`);
      }
    }
    // Both outcomes occur, so the fuzzer reaches past the first check.
    expect(ok).toBeGreaterThan(100);
    expect(ok).toBeLessThan(FUZZ_CASES.safetensors - 100);
  });

  it(`CSV sniffer and ingest: ${FUZZ_CASES.csv} cases`, async () => {
    const r = rng(SEED + 1);
    const pieces = ['a', 'b', '1', '2.5', '-3', 'é', '😀', ',', ',', ';', '\t', '"', '"', '""', '\n', '\n', '\r\n', '\r', ' ', '', '\u0000', '\ufeff', 'id', 'text'];
    const seeds = ['id,text\n1,hello\n2,"a, b"\n', 'a;b\n1;2\n3;4\n', 'x\ty\n"q\nr"\t2\n'];
    const enc = new TextEncoder();
    let ok = 0;
    for (let i = 0; i < FUZZ_CASES.csv; i++) {
      let bytes: Uint8Array;
      if (i % 3 === 0) bytes = mutate(r, enc.encode(r.pick(seeds)));
      else if (i % 3 === 1) bytes = enc.encode(Array.from({ length: 1 + r.int(60) }, () => r.pick(pieces)).join(''));
      else bytes = Uint8Array.from({ length: r.int(200) }, () => (r.next() < 0.7 ? r.pick([0x61, 0x2c, 0x0a, 0x22, 0x3b, 0x0d]) : r.int(256)));
      try {
        const { table, info } = await ingestCsv(new Blob([bytes as Uint8Array<ArrayBuffer>]), { chunkBytes: 1 + r.int(64) });
        expect(table.numRows).toBe(info.rows);
        expect(info.rows).toBeGreaterThan(0);
        expect(table.numCols).toBe(info.columns.length);
        ok++;
      } catch (e) {
        expectOnly(IngestError, e, `seed ${SEED + 1} case ${i} (${JSON.stringify(new TextDecoder().decode(bytes).slice(0, 80))})`);
      }
    }
    expect(ok).toBeGreaterThan(100);
  });

  it(`adapter zip reading: ${FUZZ_CASES.adapterZip} cases`, () => {
    const r = rng(SEED + 2);
    const valid = zipAdapter(writeAdapter(validAdapterParts(2)));
    let ok = 0;
    for (let i = 0; i < FUZZ_CASES.adapterZip; i++) {
      // Mostly small mutations, so many cases get past the zip directory into inflate and the two files.
      const bytes = mutate(r, valid, r.next() < 0.7 ? 1 : 1 + r.int(6));
      try {
        readAdapter(unzipAdapter(bytes));
        ok++;
      } catch (e) {
        expectOnly(AdapterError, e, `seed ${SEED + 2} case ${i}`);
      }
    }
    expect(ok).toBeGreaterThan(10);
  });
});

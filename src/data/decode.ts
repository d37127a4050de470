/**
 * Byte → text decoders for the ingest stream. UTF-8 is strict (a bad byte throws, so the caller can fall back);
 * Windows-1252 is written out here because some runtimes (Node 20) decode that label as ISO-8859-1, which maps
 * 0x80–0x9F to control characters instead of “smart quotes”, € and the like.
 */
export interface ChunkDecoder {
  decode(bytes: Uint8Array, final: boolean): string;
}

/** UTF-16 (after a byte-order mark), strict like UTF-8; the mark itself is dropped. */
export function utf16Decoder(encoding: 'utf-16le' | 'utf-16be'): ChunkDecoder {
  const d = new TextDecoder(encoding, { fatal: true });
  return { decode: (bytes, final) => d.decode(bytes, { stream: !final }) };
}

export function utf8Decoder(): ChunkDecoder {
  const d = new TextDecoder('utf-8', { fatal: true });
  return { decode: (bytes, final) => d.decode(bytes, { stream: !final }) };
}

// NOTE: 0x81, 0x8D, 0x8F, 0x90 and 0x9D are undefined in Windows-1252; like browsers, map them to the same code point.
const HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f,
  0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122, 0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

export function windows1252Decoder(): ChunkDecoder {
  return {
    decode(bytes) {
      const codes = new Uint16Array(bytes.length);
      for (let i = 0; i < bytes.length; i++) {
        const b = bytes[i];
        codes[i] = b >= 0x80 && b < 0xa0 ? HIGH[b - 0x80] : b;
      }
      let out = '';
      for (let i = 0; i < codes.length; i += 8192) out += String.fromCharCode(...codes.subarray(i, i + 8192));
      return out;
    },
  };
}

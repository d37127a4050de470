import { Float64, Utf8, makeData, makeVector, type Vector } from 'apache-arrow';

export type ColumnType = 'number' | 'text';

/** Column names that hold identifiers stay text unless the caller asks otherwise ("00501" is a zip code, not 501). */
export function looksLikeIdColumn(name: string): boolean {
  return /(^|[_\-\s.])(id|key|uuid|guid|code|zip|zipcode|phone)$/i.test(name) || /^(id|key)$/i.test(name) || /[a-z]Id$/.test(name);
}

/** True when the number parsed from `text` prints back as exactly `text`: only then is a numeric column lossless. */
export function isLosslessNumber(text: string): boolean {
  const n = Number(text);
  return Number.isFinite(n) && String(n) === text;
}

const encoder = new TextEncoder();

/**
 * Appends one CSV column's cells straight into Arrow buffers (UTF-8 bytes, offsets, validity), so a large file
 * never lives in memory as millions of JS strings. Tracks, as it goes, whether every non-empty cell is a lossless
 * number; `finish` then makes a Float64 or a Utf8 vector.
 */
export class ColumnBuilder {
  private bytes = new Uint8Array(1 << 16);
  private byteLength = 0;
  private offsets = new Int32Array(1024);
  private validity = new Uint8Array(128);
  private numbers: Float64Array | null = new Float64Array(1024);
  private nonNull = 0;
  length = 0;

  constructor(readonly name: string) {}

  /** `null` for an empty cell. */
  append(value: string | null): void {
    const row = this.length;
    if (row + 1 >= this.offsets.length) {
      this.offsets = grow(this.offsets, (row + 1) * 2);
      if (this.numbers) this.numbers = grow(this.numbers, this.offsets.length);
    }
    if ((row >> 3) >= this.validity.length) this.validity = grow(this.validity, this.validity.length * 2);
    if (value !== null) {
      this.validity[row >> 3] |= 1 << (row & 7);
      this.nonNull++;
      const need = this.byteLength + value.length * 3;
      if (need > this.bytes.length) this.bytes = grow(this.bytes, Math.max(need, this.bytes.length * 2));
      this.byteLength += encoder.encodeInto(value, this.bytes.subarray(this.byteLength)).written;
      if (this.numbers) {
        if (isLosslessNumber(value)) this.numbers[row] = Number(value);
        else this.numbers = null;
      }
    }
    this.length = row + 1;
    this.offsets[this.length] = this.byteLength;
  }

  /** Every non-empty cell so far is a number that prints back exactly as written. */
  isNumberLossless(): boolean {
    return this.numbers !== null;
  }

  /** The type inference would choose: numeric only if every non-empty cell round-trips (and there is one). */
  inferredType(): ColumnType {
    return this.numbers && this.nonNull > 0 && !looksLikeIdColumn(this.name) ? 'number' : 'text';
  }

  /** The vector views the builder's buffers (no copy): append nothing after this. */
  finish(type: ColumnType = this.inferredType()): Vector {
    const length = this.length;
    const nullCount = length - this.nonNull;
    const nullBitmap = nullCount > 0 ? this.validity.subarray(0, Math.ceil(length / 8)) : undefined;
    if (type === 'number') {
      if (!this.numbers) throw new Error(`Column "${this.name}" holds values that are not numbers; it can only be text.`);
      return makeVector(makeData({ type: new Float64(), length, nullCount, nullBitmap, data: this.numbers.subarray(0, length) }));
    }
    return makeVector(
      makeData({
        type: new Utf8(),
        length,
        nullCount,
        nullBitmap,
        valueOffsets: this.offsets.subarray(0, length + 1),
        data: this.bytes.subarray(0, this.byteLength),
      }),
    );
  }
}

function grow<T extends Uint8Array | Int32Array | Float64Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a);
  return b;
}

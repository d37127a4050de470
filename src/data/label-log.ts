/**
 * Labels on disk: a snapshot plus an append-only log, so that saving an edit costs O(the edit), however many
 * rows and labels the source has.
 *
 *   <name>.labels.json       snapshot {"gen": G, "edits": {column: {row: label}}} (older files: the edits alone, G = 0)
 *   <name>.labels.json.tmp   the next snapshot while it is written (read too, so a crash at any point loses nothing)
 *   <name>.labels.log        '{"gen":G}\n' then one JSON line per edit: {"c": column, "e": {row: label}}
 *
 * The log applies to the snapshot of the same generation; compaction writes snapshot G+1 (temp name, then
 * moved over the old one) and starts log G+1. A log of an older generation than the snapshot is already in it.
 * A torn last line (a crash mid-append) is ignored. Every transaction runs under one lock per source (the
 * caller's: Web Locks in the browser), so tabs never interleave.
 *
 * The file operations are an interface: OPFS sync access handles in the browser (./label-log-opfs), memory in tests.
 */
import type { LabelEdits } from './labels';

/** File operations on one directory. */
export interface LogFiles {
  /** Bytes [at, at + length) (to the end without length; fewer when the file is shorter), or null when it does not exist. */
  read(file: string, at?: number, length?: number): Promise<Uint8Array | null>;
  /** 0 when missing. */
  size(file: string): Promise<number>;
  /** Appends (creating the file) and returns the offset it wrote at. */
  append(file: string, bytes: Uint8Array): Promise<number>;
  /** Replaces the file's content (created when missing). */
  write(file: string, bytes: Uint8Array): Promise<void>;
  /** Renames `from` to `to`, replacing `to`. */
  move(from: string, to: string): Promise<void>;
  remove(file: string): Promise<void>;
}

export interface LogEntry {
  column: string;
  edits: Record<string, string | null>;
}

export interface LabelState {
  gen: number;
  edits: LabelEdits;
  /** Bytes of the log applied (the offset to read new entries from). */
  end: number;
}

/** Compact once the log is this large (bytes). */
export const COMPACT_BYTES = 256 * 1024;

const enc = new TextEncoder();
const dec = new TextDecoder();

export const logFiles = (name: string) => {
  const base = encodeURIComponent(name);
  return { snapshot: `${base}.labels.json`, temp: `${base}.labels.json.tmp`, log: `${base}.labels.log` };
};

export function encodeEntry(e: LogEntry): Uint8Array {
  return enc.encode(`${JSON.stringify({ c: e.column, e: e.edits })}\n`);
}

const header = (gen: number) => enc.encode(`${JSON.stringify({ gen })}\n`);

/** Complete lines of log text starting at byte `base`; returns entries, a header's generation, and the end of the last complete line. */
export function parseLog(bytes: Uint8Array, base = 0): { gen: number | null; entries: LogEntry[]; end: number } {
  const entries: LogEntry[] = [];
  let gen: number | null = null;
  let at = 0;
  for (;;) {
    const nl = bytes.indexOf(10, at);
    if (nl < 0) break; // NOTE: no newline yet = a torn append; it is overwritten by nothing and ignored forever
    const line = dec.decode(bytes.subarray(at, nl));
    at = nl + 1;
    try {
      const v = JSON.parse(line) as { gen?: number; c?: string; e?: Record<string, string | null> };
      if (typeof v.gen === 'number') gen = v.gen;
      else if (typeof v.c === 'string' && v.e && typeof v.e === 'object') entries.push({ column: v.c, edits: v.e });
    } catch {
      // A corrupt line (a torn write followed by later appends) is skipped; the lines after it still count.
    }
  }
  return { gen, entries, end: base + at };
}

function parseSnapshot(bytes: Uint8Array | null): { gen: number; edits: LabelEdits } | null {
  if (bytes === null) return null;
  try {
    const v = JSON.parse(dec.decode(bytes)) as { gen?: unknown; edits?: unknown };
    if (typeof v.gen === 'number' && v.edits && typeof v.edits === 'object') return { gen: v.gen, edits: v.edits as LabelEdits };
    return { gen: 0, edits: v as LabelEdits }; // the format before the log: the edits alone
  } catch {
    return null;
  }
}

/** Edits `b` applied over `a` (a copy). */
export function mergeEdits(a: LabelEdits, entries: readonly LogEntry[]): LabelEdits {
  const out: LabelEdits = {};
  for (const [c, rows] of Object.entries(a)) out[c] = { ...rows };
  for (const { column, edits } of entries) out[column] = Object.assign(out[column] ?? {}, edits);
  return out;
}

/** The newest readable snapshot (the temp file wins when it is whole and newer: a compaction stopped midway). */
async function readSnapshot(fs: LogFiles, name: string): Promise<{ gen: number; edits: LabelEdits }> {
  const f = logFiles(name);
  const main = parseSnapshot(await fs.read(f.snapshot));
  const temp = parseSnapshot(await fs.read(f.temp));
  if (temp && (!main || temp.gen > main.gen)) return temp;
  return main ?? { gen: 0, edits: {} };
}

/**
 * The generation of the snapshot, from its first bytes only (O(1)): the main file when there is one (it is only
 * ever replaced whole, by a move), else a temp file (null: possibly torn, and the caller checks in full).
 */
async function quickSnapshotGen(fs: LogFiles, name: string): Promise<{ gen: number; sure: boolean }> {
  const f = logFiles(name);
  // A temp file exists only mid-compaction or after a crash in one: then the caller looks in full.
  if ((await fs.read(f.temp, 0, 0)) !== null) return { gen: 0, sure: false };
  const main = await fs.read(f.snapshot, 0, 32);
  return { gen: main === null ? 0 : Number(/^\{"gen":(\d+)/.exec(dec.decode(main))?.[1] ?? 0), sure: true };
}

/** The generation in the log's header line (null: no log yet). */
async function logGen(fs: LogFiles, name: string): Promise<number | null> {
  const head = await fs.read(logFiles(name).log, 0, 64);
  return head === null || head.length === 0 ? null : (parseLog(head).gen ?? 0);
}

/** The snapshot generation the log must carry, cheaply when nothing crashed. */
async function currentGen(fs: LogFiles, name: string, logHeader: number | null): Promise<number> {
  const quick = await quickSnapshotGen(fs, name);
  if (quick.sure && (logHeader === null || logHeader === quick.gen)) return quick.gen;
  return recover(fs, name);
}

/** After a crash mid-compaction: finish it when its temp snapshot is whole and newer, else drop the temp file. */
async function recover(fs: LogFiles, name: string): Promise<number> {
  const f = logFiles(name);
  const main = parseSnapshot(await fs.read(f.snapshot));
  const temp = parseSnapshot(await fs.read(f.temp));
  if (temp && (!main || temp.gen > main.gen)) {
    await fs.move(f.temp, f.snapshot);
    return temp.gen;
  }
  await fs.remove(f.temp);
  return main?.gen ?? 0;
}

/** Everything saved for a source: snapshot + the log of its generation. */
export async function loadLabels(fs: LogFiles, name: string): Promise<LabelState> {
  const snap = await readSnapshot(fs, name);
  const log = parseLog((await fs.read(logFiles(name).log)) ?? new Uint8Array());
  if ((log.gen ?? 0) !== snap.gen) return { gen: snap.gen, edits: snap.edits, end: log.gen === null ? 0 : log.end };
  return { gen: snap.gen, edits: mergeEdits(snap.edits, log.entries), end: log.end };
}

/**
 * What changed since a reader's (gen, end): the new entries, or — after a compaction — the whole state
 * (`full`), which the reader takes instead of its own.
 */
export async function readSince(fs: LogFiles, name: string, gen: number, end: number): Promise<{ gen: number; end: number; entries: LogEntry[]; full: LabelEdits | null }> {
  const f = logFiles(name);
  const header = await logGen(fs, name);
  const snapGen = await currentGen(fs, name, header);
  if ((header ?? snapGen) === gen && gen === snapGen && end <= (await fs.size(f.log))) {
    const tail = parseLog((await fs.read(f.log, end)) ?? new Uint8Array(), end);
    return { gen, end: tail.end, entries: tail.entries, full: null };
  }
  const all = await loadLabels(fs, name);
  return { gen: all.gen, end: all.end, entries: [], full: all.edits };
}

/**
 * Appends one edit to the log (O(edit)); compacts when the log has grown past `compactBytes`. Returns where
 * the entry landed, so a writer that knew the log up to `start` knows it is still current.
 */
export async function appendEntry(fs: LogFiles, name: string, entry: LogEntry, compactBytes = COMPACT_BYTES): Promise<{ gen: number; start: number; end: number; compacted: boolean }> {
  const f = logFiles(name);
  const h = await logGen(fs, name);
  let gen = await currentGen(fs, name, h);
  // A compaction that stopped after its snapshot: the log is already in it, so a new log starts.
  if (h === null || h !== gen) await fs.write(f.log, header(gen));
  const size = await fs.size(f.log);
  // NOTE: a torn append (crash mid-write) left no newline; end it, or this entry would be glued to it and lost.
  if ((await fs.read(f.log, size - 1, 1))?.[0] !== 10) await fs.append(f.log, enc.encode('\n'));
  const bytes = encodeEntry(entry);
  const start = await fs.append(f.log, bytes);
  let end = start + bytes.length;
  let compacted = false;
  if (end > compactBytes) {
    gen = await compact(fs, name);
    end = await fs.size(f.log);
    compacted = true;
  }
  return { gen, start, end, compacted };
}

/** Snapshot G+1 = snapshot G + log G, written under a temp name, moved over the old one; then log G+1 starts. */
export async function compact(fs: LogFiles, name: string): Promise<number> {
  const f = logFiles(name);
  const state = await loadLabels(fs, name);
  const gen = state.gen + 1;
  // NOTE: "gen" first: quickSnapshotGen reads it from the first bytes.
  await fs.write(f.temp, enc.encode(JSON.stringify({ gen, edits: state.edits })));
  await fs.move(f.temp, f.snapshot);
  await fs.write(f.log, header(gen));
  return gen;
}

export async function removeLabels(fs: LogFiles, name: string): Promise<void> {
  const f = logFiles(name);
  for (const file of [f.snapshot, f.temp, f.log]) await fs.remove(file);
}

/** LogFiles in memory, for tests; `failAfter` throws on the n-th mutating call (a crash). */
export class MemoryFiles implements LogFiles {
  readonly files = new Map<string, Uint8Array>();
  failAfter = Infinity;
  private ops = 0;
  private tick(): void {
    if (++this.ops > this.failAfter) throw new Error('crash');
  }
  /** Bytes read, over all calls (cost checks). */
  bytesRead = 0;
  async read(file: string, at = 0, length?: number): Promise<Uint8Array | null> {
    const b = this.files.get(file);
    if (!b) return null;
    const out = b.slice(Math.max(0, at), length === undefined ? undefined : Math.max(0, at) + length);
    this.bytesRead += out.length;
    return out;
  }
  async size(file: string): Promise<number> {
    return this.files.get(file)?.length ?? 0;
  }
  async append(file: string, bytes: Uint8Array): Promise<number> {
    this.tick();
    const old = this.files.get(file) ?? new Uint8Array();
    const next = new Uint8Array(old.length + bytes.length);
    next.set(old);
    next.set(bytes, old.length);
    this.files.set(file, next);
    return old.length;
  }
  async write(file: string, bytes: Uint8Array): Promise<void> {
    this.tick();
    this.files.set(file, bytes.slice());
  }
  async move(from: string, to: string): Promise<void> {
    this.tick();
    const b = this.files.get(from);
    if (!b) throw new Error(`no ${from}`);
    this.files.set(to, b);
    this.files.delete(from);
  }
  async remove(file: string): Promise<void> {
    this.files.delete(file);
  }
}

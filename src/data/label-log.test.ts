import { describe, expect, it } from 'vitest';
import { appendEntry, compact, loadLabels, logFiles, MemoryFiles, readSince } from './label-log';

const f = logFiles('sms');
const bytes = (s: string) => new TextEncoder().encode(s);

describe('label log: snapshot + append-only log', () => {
  it('appends one short line per edit, reading and writing the same few bytes however many labels are saved', async () => {
    const fs = new MemoryFiles();
    // 100,000 labels already in the snapshot (as after a compaction).
    const big: Record<string, string> = {};
    for (let r = 0; r < 100_000; r++) big[r] = r % 2 ? 'spam' : 'ham';
    await fs.write(f.snapshot, bytes(JSON.stringify({ gen: 3, edits: { label: big } })));
    await fs.write(f.log, bytes('{"gen":3}\n'));
    const cost: number[] = [];
    for (let i = 0; i < 50; i++) {
      const before = fs.bytesRead;
      const size = await fs.size(f.log);
      await appendEntry(fs, 'sms', { column: 'label', edits: { [i * 1000]: 'spam' } }, Infinity);
      cost.push(fs.bytesRead - before + ((await fs.size(f.log)) - size));
    }
    expect(Math.max(...cost)).toBeLessThan(200);
    await appendEntry(fs, 'sms', { column: 'label', edits: { 0: null, 1000: 'ham' } }, Infinity);
    const state = await loadLabels(fs, 'sms');
    expect(state.gen).toBe(3);
    expect(state.edits.label['0']).toBeNull();
    expect(state.edits.label['1000']).toBe('ham');
    expect(state.edits.label['49000']).toBe('spam');
    expect(state.edits.label['3']).toBe('spam');
    expect(Object.keys(state.edits.label)).toHaveLength(100_000);
  });

  it('reads the pre-log format (edits alone) as generation 0', async () => {
    const fs = new MemoryFiles();
    await fs.write(f.snapshot, bytes(JSON.stringify({ label: { 3: 'ham' } })));
    await appendEntry(fs, 'sms', { column: 'label', edits: { 4: 'spam' } });
    expect((await loadLabels(fs, 'sms')).edits).toEqual({ label: { 3: 'ham', 4: 'spam' } });
  });

  it('compacts into a new snapshot generation and keeps every label', async () => {
    const fs = new MemoryFiles();
    for (let i = 0; i < 100; i++) await appendEntry(fs, 'sms', { column: 'label', edits: { [i % 30]: `c${i}` } }, 1000);
    const state = await loadLabels(fs, 'sms');
    expect(state.gen).toBeGreaterThan(1);
    for (let r = 0; r < 30; r++) expect(state.edits.label[r]).toBe(`c${r + 90 >= 100 ? r + 60 : r + 90}`);
    expect(await fs.size(f.log)).toBeLessThan(1100);
  });

  it('loses nothing when a compaction crashes at any step, or an append is torn', async () => {
    for (let crashAt = 0; crashAt < 3; crashAt++) {
      // compaction: write temp, move it over the snapshot, start the new log
      for (const first of [true, false]) {
        const fs = new MemoryFiles();
        if (!first) await compact(fs, 'sms'); // a snapshot exists already, or not
        for (let i = 0; i < 5; i++) await appendEntry(fs, 'sms', { column: 'label', edits: { [i]: 'ham' } }, Infinity);
        const before = (await loadLabels(fs, 'sms')).edits;
        fs.failAfter = crashAt;
        (fs as unknown as { ops: number }).ops = 0;
        await expect(compact(fs, 'sms')).rejects.toThrow('crash');
        fs.failAfter = Infinity;
        expect((await loadLabels(fs, 'sms')).edits).toEqual(before);
        await appendEntry(fs, 'sms', { column: 'label', edits: { 9: 'spam' } }, Infinity);
        expect((await loadLabels(fs, 'sms')).edits).toEqual({ label: { ...before.label, 9: 'spam' } });
      }
    }
    const fs = new MemoryFiles();
    await appendEntry(fs, 'sms', { column: 'label', edits: { 1: 'ham' } });
    await fs.append(f.log, bytes('{"c":"label","e":{"2":"sp')); // crash mid-append
    expect((await loadLabels(fs, 'sms')).edits).toEqual({ label: { 1: 'ham' } });
    await appendEntry(fs, 'sms', { column: 'label', edits: { 3: 'spam' } });
    expect((await loadLabels(fs, 'sms')).edits).toEqual({ label: { 1: 'ham', 3: 'spam' } });
  });

  it('lets two writers converge: each reads what the other appended, in log order; after a compaction readers reload', async () => {
    const fs = new MemoryFiles();
    const a = await loadLabels(fs, 'sms');
    const b = await loadLabels(fs, 'sms');
    const wa = await appendEntry(fs, 'sms', { column: 'label', edits: { 5: 'x' } });
    const wb = await appendEntry(fs, 'sms', { column: 'label', edits: { 5: 'y', 6: 'z' } });
    expect(wb.start).toBe(wa.end);
    const ra = await readSince(fs, 'sms', a.gen, a.end);
    expect(ra.entries.map((e) => e.edits)).toEqual([{ 5: 'x' }, { 5: 'y', 6: 'z' }]);
    expect(ra.full).toBeNull();
    expect((await readSince(fs, 'sms', ra.gen, wa.end)).entries.map((e) => e.edits)).toEqual([{ 5: 'y', 6: 'z' }]);
    const c = await compact(fs, 'sms');
    const rb = await readSince(fs, 'sms', b.gen, b.end);
    expect(rb.gen).toBe(c);
    expect(rb.full).toEqual({ label: { 5: 'y', 6: 'z' } });
    expect(await readSince(fs, 'sms', rb.gen, rb.end)).toMatchObject({ entries: [], full: null });
  });
});

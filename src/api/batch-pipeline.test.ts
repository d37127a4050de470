import { describe, expect, it } from 'vitest';
import { pipelineBatches } from './batch-pipeline';

/** A fake worker: batches resolve when released, in any order; it records what was sent and when. */
function fakeWorker() {
  const sent: number[] = [];
  const pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  const send = (i: number) =>
    new Promise<string>((resolve, reject) => {
      sent.push(i);
      pending.set(i, { resolve, reject });
    });
  const tick = () => new Promise((r) => setTimeout(r, 0));
  return { sent, pending, send, tick };
}

describe('pipelineBatches', () => {
  it('hands results over in batch order although the worker finishes them out of order', async () => {
    const w = fakeWorker();
    const got: [number, string][] = [];
    const done = pipelineBatches(5, w.send, (i, r) => got.push([i, r]), () => 3);
    await w.tick();
    expect(w.sent).toEqual([0, 1, 2]);
    w.pending.get(2)!.resolve('c');
    w.pending.get(1)!.resolve('b');
    await w.tick();
    expect(got).toEqual([]); // batch 0 is not back yet
    w.pending.get(0)!.resolve('a');
    await w.tick();
    expect(got).toEqual([[0, 'a'], [1, 'b'], [2, 'c']]);
    w.pending.get(4)?.resolve('e');
    w.pending.get(3)!.resolve('d');
    await w.tick();
    w.pending.get(4)!.resolve('e');
    await done;
    expect(got.map(([i]) => i)).toEqual([0, 1, 2, 3, 4]);
    expect(w.sent).toEqual([0, 1, 2, 3, 4]);
  });

  it('sends the next batch before handing a result over, and keeps at most `depth` in flight', async () => {
    const w = fakeWorker();
    const inFlightAtReceive: number[] = [];
    const done = pipelineBatches(4, w.send, (i) => inFlightAtReceive.push(w.sent.length - i - 1), () => 2);
    for (let i = 0; i < 4; i++) {
      await w.tick();
      expect(w.sent.length).toBe(Math.min(4, i + 2));
      w.pending.get(i)!.resolve(String(i));
    }
    await done;
    // While batch i is stored and reported, the next two are already with the worker (i+1 running, i+2 queued).
    expect(inFlightAtReceive).toEqual([2, 2, 1, 0]);
  });

  it('depth 1 (slow batches) sends one at a time', async () => {
    const w = fakeWorker();
    const done = pipelineBatches(3, w.send, () => undefined, () => 1);
    for (let i = 0; i < 3; i++) {
      await w.tick();
      expect(w.sent).toEqual([...Array(i + 1).keys()]);
      w.pending.get(i)!.resolve('x');
    }
    await done;
  });

  it('a cancel during a batch stops within that batch: nothing after it is received or sent', async () => {
    const w = fakeWorker();
    const got: number[] = [];
    let cancelled = false;
    const send = (i: number) => (cancelled ? Promise.reject(new Error('cancelled')) : w.send(i));
    const done = pipelineBatches(10, send, (i) => {
      got.push(i);
      if (i === 1) {
        // What the worker bridge does on abort: every call in flight rejects, later calls reject at once.
        cancelled = true;
        for (const [, p] of w.pending) p.reject(new Error('cancelled'));
      }
    }, () => 2);
    for (let i = 0; i < 2; i++) {
      await w.tick();
      w.pending.get(i)!.resolve('x');
    }
    await expect(done).rejects.toThrow('cancelled');
    expect(got).toEqual([0, 1]);
    expect(w.sent).toEqual([0, 1, 2, 3]); // at most the one batch queued behind the cancelled one ever reached the worker
  });

  it("a failed batch fails the loop with that batch's error, after the batches before it were received", async () => {
    const w = fakeWorker();
    const got: number[] = [];
    const done = pipelineBatches(4, w.send, (i) => got.push(i), () => 2);
    await w.tick();
    w.pending.get(1)!.reject(new Error('batch 1 failed'));
    w.pending.get(0)!.resolve('ok');
    await expect(done).rejects.toThrow('batch 1 failed');
    expect(got).toEqual([0]);
  });

  it('zero batches: nothing sent, resolves', async () => {
    const w = fakeWorker();
    await pipelineBatches(0, w.send, () => undefined, () => 2);
    expect(w.sent).toEqual([]);
  });
});

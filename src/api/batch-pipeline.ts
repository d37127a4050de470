/**
 * The batch loop of `infer`, pipelined: the next batch is already sent to the worker while the current one's
 * result comes back and is stored, so the worker tokenizes and runs batch i+1 without waiting for a round trip
 * through this thread (messages, progress events). Results are handed over in batch order.
 *
 * `depth` is how many batches may be in flight, asked again before each send: `infer` keeps 2 while batches are
 * quick (where the round trip is a real share of a batch) and 1 for slow ones, so a cancel leaves at most one
 * long batch running in the worker (which the worker bridge then stops).
 */
export async function pipelineBatches<T>(
  count: number,
  send: (batch: number) => Promise<T>,
  receive: (batch: number, result: T) => void,
  depth: () => number,
): Promise<void> {
  const inFlight: Promise<T>[] = [];
  let next = 0;
  const fill = () => {
    while (next < count && inFlight.length < Math.max(1, depth())) {
      const p = send(next++);
      p.catch(() => undefined); // a later batch's failure surfaces when its turn comes (or never, after an earlier one)
      inFlight.push(p);
    }
  };
  fill();
  for (let i = 0; i < count; i++) {
    const result = await inFlight.shift()!;
    fill(); // before `receive`: the worker is never left idle while this thread stores results and reports
    receive(i, result);
  }
}

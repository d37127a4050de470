/**
 * Out-of-memory policy for one batch: run all rows; if the device runs out of memory, halve the batch and retry
 * the same rows (each half on its own, recursively); at one row, give up with `atOneRow`'s error.
 */
export async function runHalving<R, T>(
  rows: readonly R[],
  run: (rows: readonly R[]) => Promise<T[]>,
  isOutOfMemory: (e: unknown) => boolean,
  atOneRow: (row: R, cause: unknown) => Error,
): Promise<T[]> {
  try {
    return await run(rows);
  } catch (e) {
    if (!isOutOfMemory(e)) throw e;
    if (rows.length <= 1) throw atOneRow(rows[0], e);
    const half = Math.ceil(rows.length / 2);
    const first = await runHalving(rows.slice(0, half), run, isOutOfMemory, atOneRow);
    const second = await runHalving(rows.slice(half), run, isOutOfMemory, atOneRow);
    return [...first, ...second];
  }
}

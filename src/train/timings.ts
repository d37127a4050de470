/**
 * Where a training job's time goes: wall-clock milliseconds per phase, summed over the run. On CPU backends the
 * ops run as they are called, so `forward`, `backward` and `update` are compute; on WebGPU they are mostly
 * encoding, and the GPU's time shows up where a result is read (`lossRead`, `validation`, `checkpoint`).
 */
export interface LoopTimings {
  steps: number;
  examples: number;
  /** Model forward + loss, training mode (dropout masks included). */
  forwardMs: number;
  backwardMs: number;
  /** Reading step losses back (CPU: a copy; WebGPU: the wait for the queued work). */
  lossReadMs: number;
  /** Gradient clipping, AdamW and zeroing the gradients. */
  updateMs: number;
  /** The yield between steps that lets a cancel message in. */
  yieldMs: number;
  validationMs: number;
  /** Host copies of the parameters at each epoch's end (best and resume checkpoints). */
  checkpointMs: number;
}

export type LoopPhase = Exclude<keyof LoopTimings, 'steps' | 'examples'>;

export const noTimings = (): LoopTimings => ({ steps: 0, examples: 0, forwardMs: 0, backwardMs: 0, lossReadMs: 0, updateMs: 0, yieldMs: 0, validationMs: 0, checkpointMs: 0 });

/** Adds the time `fn` takes (to its promise's end, when it returns one) to `phase`. */
export function timed<T>(t: LoopTimings, phase: LoopPhase, fn: () => T): T {
  const t0 = performance.now();
  const out = fn();
  if (out instanceof Promise) {
    return out.finally(() => {
      t[phase] += performance.now() - t0;
    }) as T;
  }
  t[phase] += performance.now() - t0;
  return out;
}

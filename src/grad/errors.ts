/**
 * The GPU ran out of memory: a buffer could not be allocated (over the backend's `memoryBudgetBytes`, or refused
 * by the device), or a dispatch failed for lack of memory. `code` is stable for programs; callers catch it to
 * retry with smaller batches. Everything computed since the last successful `read` is suspect and must be redone.
 */
export class GpuOutOfMemoryError extends Error {
  readonly code = 'gpu_oom';
  constructor(message: string) {
    super(message);
    this.name = 'GpuOutOfMemoryError';
  }
}

/** True for a GpuOutOfMemoryError, also after it crossed a worker boundary (where only name and message survive). */
export function isGpuOutOfMemory(e: unknown): boolean {
  return e instanceof Error && (e.name === 'GpuOutOfMemoryError' || (e as { code?: unknown }).code === 'gpu_oom');
}

/** True when the GPU device under a computation was lost (our backend's wording, and the browsers'). */
export function isDeviceLost(e: unknown): boolean {
  return e instanceof Error && /GPU device was lost|device (is |was )?lost|Device was destroyed/i.test(e.message);
}

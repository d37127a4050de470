/**
 * The WebGPU backend's failure handling (see ../webgpu.ts): device loss, uncaptured errors, and the
 * 'out-of-memory' error scopes around buffer creation, dispatches and submits. A failure is thrown by the next
 * `check()`: "The GPU device was lost: …", or a GpuOutOfMemoryError (code 'gpu_oom').
 */
import { GpuOutOfMemoryError } from '../../errors';

export class GpuFaults {
  /** Uncaptured WebGPU errors (validation, out of memory), newest last; a correct run leaves this empty. */
  readonly errors: string[] = [];
  /** Resolves with the reason once the device is lost (e.g. after `device.destroy()`). */
  readonly lost: Promise<string>;
  lostReason: string | null = null;
  /** An out-of-memory error a scope reported since the last check (thrown, then cleared, by the next `check`). */
  private oom: string | null = null;
  private readonly scopes = new Set<Promise<void>>();

  constructor(private readonly device: GPUDevice) {
    this.lost = device.lost.then((info) => {
      this.lostReason = `${info.reason}${info.message ? ` (${info.message})` : ''}`;
      return this.lostReason;
    });
    device.addEventListener('uncapturederror', (e) => {
      const error = (e as GPUUncapturedErrorEvent).error;
      const msg = error.message;
      if (typeof GPUOutOfMemoryError !== 'undefined' && error instanceof GPUOutOfMemoryError) this.oom ??= msg;
      if (this.errors.length < 50) this.errors.push(msg);
      console.error(`WebGpuBackend: ${msg}`);
    });
  }

  check(): void {
    if (this.lostReason !== null) throw new Error(`The GPU device was lost: ${this.lostReason}`);
    if (this.oom !== null) {
      const msg = this.oom;
      this.oom = null;
      throw new GpuOutOfMemoryError(`GPU out of memory: ${msg}`);
    }
  }

  /** Runs `f` inside an 'out-of-memory' error scope; an error it reports is thrown by the next `check()`. */
  inOomScope<T>(what: string, f: () => T): T {
    this.device.pushErrorScope('out-of-memory');
    try {
      return f();
    } finally {
      const p: Promise<void> = this.device.popErrorScope().then(
        (err) => {
          if (err) this.oom ??= `${what}: ${err.message}`;
        },
        () => undefined, // a lost device rejects pops; `lost` reports that
      );
      this.scopes.add(p);
      void p.finally(() => this.scopes.delete(p));
    }
  }

  /** Waits until every error scope opened so far has reported (they settle in queue order). */
  async settleScopes(): Promise<void> {
    while (this.scopes.size > 0) await Promise.all([...this.scopes]);
  }
}

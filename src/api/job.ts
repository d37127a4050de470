/**
 * A fine-tuning job as the caller sees it: status, phase, per-step progress and per-epoch metrics, `wait()` for
 * the report, `cancel()`. What runs it is in ./fine-tune (the worker orchestration).
 */
import type { Metrics } from '../eval/metrics';
import type { FineTuneTarget } from '../train/config';
import type { EpochMetrics, TrainProgress } from '../train/loop';
import type { EngineBackendName } from '../grad/backends/choice';
import type { JobTimings, TrainPhase } from '../train/worker-api';
import type { LoopTimings } from '../train/timings';
import type { LoopResult } from '../train/loop';

export const FINE_TUNED_PREFIX = 'jammi:fine-tuned:';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface FineTuneReport {
  status: JobStatus;
  epochs: EpochMetrics[];
  bestEpoch: number | null;
  stoppedEarly: boolean;
  /** Metrics of the kept checkpoint on the validation split (null without one). */
  validation: Metrics | null;
  trainRows: number;
  validationRows: number;
  skipped: { emptyText: number; emptyLabel: number };
  warnings: string[];
  /** The engine backend that ran (`webgpu`, `js`; `wasm` once it lands), why (auto's reason), and its threads. */
  backend: EngineBackendName | null;
  backendReason: string | null;
  threads: number | null;
  seconds: number;
  labels: string[];
  /**
   * Micro-batching at the end and each GPU out-of-memory that halved the micro-batch (doubling gradient
   * accumulation: the same examples per step); `gpuBytes`: model bytes and peak on WebGPU.
   */
  memory: (LoopResult['memory'] & { gpuBytes?: { base: number; peak: number } }) | null;
  /** The GPU device was lost and training resumed once from the checkpoint after `afterEpoch` epochs, on `backend`. */
  resumed: { afterEpoch: number; reason: string; backend: EngineBackendName } | null;
  /** Why a cancelled job kept no fine-tuned model (cancelled before its first checkpoint); null otherwise. */
  cancelReason: string | null;
  /** Where the job's time went, in milliseconds per phase (the loop's and the worker's; null when it never ran). */
  timings: (LoopTimings & JobTimings) | null;
}

/** A training run. `wait()` resolves with the report when it completes or is cancelled, and rejects if it fails. */
export class Job {
  readonly modelId: string;
  status: JobStatus = 'queued';
  /** Per-epoch metrics so far. */
  readonly metrics: EpochMetrics[] = [];
  phase: TrainPhase | null = null;
  lastProgress: TrainProgress | null = null;
  /** When the worker last reported (performance.now()). */
  lastProgressAt = 0;
  error: string | null = null;
  private readonly listeners = new Set<(p: TrainProgress) => void>();
  private readonly changeListeners = new Set<() => void>();
  private readonly done: Promise<FineTuneReport>;
  private stop: () => void = () => {};

  constructor(
    readonly id: string,
    readonly target: FineTuneTarget,
    run: (job: Job, setStop: (f: () => void) => void) => Promise<FineTuneReport>,
  ) {
    this.modelId = FINE_TUNED_PREFIX + id;
    this.done = run(this, (f) => (this.stop = f));
    this.done.catch(() => undefined);
  }

  wait(): Promise<FineTuneReport> {
    return this.done;
  }

  /** @internal set by the runner: see `simulateDeviceLoss`. */
  loseDevice: () => Promise<boolean> = async () => false;

  /**
   * Fault injection, for tests and for trying the recovery path: destroys the GPU device the job trains on, as a
   * driver reset would. The job resumes once from its last checkpoint; a second loss fails it, keeping the best.
   */
  simulateDeviceLoss(): Promise<boolean> {
    return this.loseDevice();
  }

  /** Stops within one step; the best checkpoint so far is kept and usable (status `cancelled`). */
  cancel(): void {
    if (this.status === 'queued' || this.status === 'running') this.stop();
  }

  /** `{ epoch, step, totalSteps, loss, learningRate, examplesPerSecond, eta }` after every optimiser step. */
  onProgress(cb: (p: TrainProgress) => void): () => void {
    this.listeners.add(cb);
    return () => this.listeners.delete(cb);
  }

  /** Any change of status, phase, progress or metrics (for the UI). */
  onChange(cb: () => void): () => void {
    this.changeListeners.add(cb);
    return () => this.changeListeners.delete(cb);
  }

  /** @internal `repeat`: a heartbeat re-sending the last step's figures with an updated ETA. */
  emit(p?: TrainProgress, repeat = false): void {
    if (p) {
      if (!repeat) {
        this.lastProgress = p;
        this.lastProgressAt = performance.now();
      }
      for (const l of this.listeners) l(p);
    }
    for (const l of this.changeListeners) l();
  }
}

/**
 * The training loop shared by both targets: seeded epochs of mini-batches, gradient accumulation, global-norm
 * clipping, warmup + schedule, AdamW; validation each epoch; early stopping and best-checkpoint restore;
 * cancel within one step; NaN/Inf guard. The model is anything that maps row indices to logits.
 *
 * Reading the loss back: on CPU backends each step's loss is read before its update (the guard then skips a bad
 * step's update). On WebGPU a read stalls the GPU pipeline (a submit and a map round trip), so the loss tensors of
 * `lossReadEvery` steps (default 8 there) stay on the device and are read together, as one tensor, when progress
 * is reported: progress events come in bursts of that many steps, and the NaN/divergence guard lags by up to one
 * such interval — a bad step's update has already been applied when it is seen (a NaN then poisons the following
 * steps too, so 3 consecutive bad steps still end the run with the same TrainingFailed). A GPU out-of-memory the
 * device reports asynchronously likewise surfaces at the next allocation or read, up to one interval late.
 */
import { AdamW, Tensor, backward, clipGradNorm, concat, crossEntropy, learningRate, noGrad, reshape, scale, tidy, zeroGrad } from '../grad';
import { isGpuOutOfMemory } from '../grad/errors';
import { runHalving } from '../infer/halving';
import { classificationMetrics } from '../eval/metrics';
import type { FineTuneConfig } from './config';
import { Rng } from '../grad/rng';
import { epochOrder, shuffle } from './data';
import { noTimings, timed, type LoopTimings } from './timings';

export interface TrainableModel {
  /** The trainable parameters (requiresGrad). */
  readonly params: Tensor[];
  /** Logits [rows, classes] for these example indices (training mode when `train`). */
  logits(rows: readonly number[], train: boolean): Tensor;
  /** Token count of an example, when batches are padded: rows of similar length are then batched together. */
  lengthOf?(row: number): number;
}

export interface TrainProgress {
  epoch: number;
  step: number;
  totalSteps: number;
  loss: number;
  learningRate: number;
  examplesPerSecond: number;
  /** Seconds left, estimated from the pace so far. */
  eta: number;
}

export interface EpochMetrics {
  epoch: number;
  trainLoss: number;
  valLoss: number | null;
  valAccuracy: number | null;
  valMacroF1: number | null;
}

export interface LoopResult {
  metrics: EpochMetrics[];
  /** Epoch whose parameters the model holds at the end (null: the last state, no validation ran). */
  bestEpoch: number | null;
  stopped: 'completed' | 'early_stopped' | 'cancelled';
  /** Validation predictions of the kept parameters: class indices. */
  validation: { gold: number[]; predicted: number[] };
  /**
   * Micro-batching at the end: the configured batch_size and gradient_accumulation_steps unless a GPU out-of-memory
   * halved the micro-batch (and doubled the accumulation: the same examples per optimiser step), once per event.
   */
  memory: { microBatchSize: number; gradientAccumulationSteps: number; halvings: { step: number; microBatchSize: number; gradientAccumulationSteps: number }[] };
  /** Where the time went (./timings). */
  timings: LoopTimings;
}

export interface LoopInput {
  model: TrainableModel;
  config: FineTuneConfig;
  train: { rows: number[]; labels: number[] };
  validation: { rows: number[]; labels: number[] };
  classes: readonly string[];
  onProgress?: (p: TrainProgress) => void;
  onEpoch?: (m: EpochMetrics) => void;
  shouldStop?: () => boolean;
  /** Resume after `resume.epoch` epochs (a checkpoint taken before a device loss); the parameters are already set. */
  resume?: Checkpoint;
  /**
   * Steps whose losses are read back together (see the file comment). Default: 1 (every step, guard before the
   * update) on CPU backends, 8 on WebGPU.
   */
  lossReadEvery?: number;
}

/** The state after an epoch: parameters (host copies), the metrics so far and the best epoch's parameters. */
export interface Checkpoint {
  epoch: number;
  metrics: EpochMetrics[];
  best: { epoch: number; score: number; params: Float32Array[] } | null;
  sinceBest: number;
}

export class TrainingFailed extends Error {
  /** The best checkpoint reached before the failure (host copies of the parameters), when one was. */
  best: { epoch: number; params: Float32Array[]; metrics: EpochMetrics[] } | null = null;
  /** The last end-of-epoch state, to resume from (after a device loss), when an epoch was completed. */
  last: (Checkpoint & { params: Float32Array[] }) | null = null;
  /** The error that stopped training (e.g. a lost GPU device). */
  cause?: unknown;
  constructor(message: string) {
    super(message);
    this.name = 'TrainingFailed';
  }
}

/**
 * One turn of the event loop, so that a message queued meanwhile (a cancel) is handled: a message to ourselves.
 * NOTE: not setTimeout(0), which browsers clamp to ≥ 4 ms once nested: after every short step (a small model,
 * the head target) that cost more than the steps themselves.
 */
function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const { port1, port2 } = new MessageChannel();
    port1.onmessage = () => {
      port1.close();
      resolve();
    };
    port2.postMessage(null);
  });
}

/** A loss above this counts as exploding (as a non-finite one does). */
const EXPLODED = 1e4;

const batches = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/**
 * An epoch's mini-batches: a seeded shuffle; with `lengthOf`, windows of 50 batches are sorted by length before
 * cutting (little padding, as HF's group_by_length) and the batches are shuffled again.
 */
export function epochBatches(rows: readonly number[], config: FineTuneConfig, epoch: number, lengthOf?: (row: number) => number): number[][] {
  const order = epochOrder(rows, config.seed, epoch);
  if (!lengthOf) return batches(order, config.batch_size);
  const window = config.batch_size * 50;
  const out: number[][] = [];
  for (let i = 0; i < order.length; i += window) {
    const sorted = order.slice(i, i + window).sort((a, b) => lengthOf(b) - lengthOf(a) || a - b);
    out.push(...batches(sorted, config.batch_size));
  }
  return shuffle(out, Rng.forKey(config.seed, `batches/${epoch}`));
}

export async function trainLoop(input: LoopInput): Promise<LoopResult> {
  const { model, config, train, validation, classes } = input;
  const labelOf = new Map<number, number>();
  train.rows.forEach((r, i) => labelOf.set(r, train.labels[i]));
  const microPerEpoch = Math.ceil(train.rows.length / config.batch_size);
  const stepsPerEpoch = Math.ceil(microPerEpoch / config.gradient_accumulation_steps);
  const totalSteps = stepsPerEpoch * config.epochs;
  const schedule = {
    kind: config.lr_schedule,
    peakLr: config.learning_rate,
    warmupSteps: Math.round(config.warmup_ratio * totalSteps),
    totalSteps,
  };
  const optimizer = new AdamW(model.params, { lr: config.learning_rate, weightDecay: config.weight_decay });
  const metrics: EpochMetrics[] = [...(input.resume?.metrics ?? [])];
  const higherIsBetter = config.early_stopping_metric === 'val_accuracy';
  let best: { epoch: number; score: number; params: Float32Array[] } | null = input.resume?.best ?? null;
  let sinceBest = input.resume?.sinceBest ?? 0;
  let last: TrainingFailed['last'] = null;
  const startEpoch = input.resume?.epoch ?? 0;
  let step = startEpoch * stepsPerEpoch;
  let badSteps = 0;
  let stopped: LoopResult['stopped'] = 'completed';
  const started = performance.now();
  let examples = 0;
  /** Each configured micro-batch runs as pieces of batch_size / split rows (split doubles on a GPU out-of-memory). */
  let split = 1;
  const halvings: LoopResult['memory']['halvings'] = [];
  const timings = noTimings();

  const lossReadEvery = Math.max(1, Math.floor(input.lossReadEvery ?? (model.params[0]?.backend.name === 'webgpu' ? 8 : 1)));
  const deferred = lossReadEvery > 1;
  /** Deferred mode: the pieces' loss tensors (and weights) of steps whose loss is not read yet. */
  let pending: { epoch: number; step: number; lr: number; groupSize: number; pieces: { loss: Tensor; weight: number }[] }[] = [];

  /** Forward + backward of one optimiser step's rows in pieces of `size`; the step's mean loss (deferred: NaN, pieces kept in `keptPieces`). */
  const accumulate = async (group: number[][], groupSize: number, size: number, keptPieces: { loss: Tensor; weight: number }[] | null): Promise<number> => {
    let stepLoss = 0;
    for (const micro of group) {
      for (let i = 0; i < micro.length; i += size) {
        const rows = micro.slice(i, i + size);
        const lossValue = tidy(() => {
          const loss = timed(timings, 'forwardMs', () => crossEntropy(model.logits(rows, true), rows.map((r) => labelOf.get(r)!)));
          // Each piece's mean loss is weighted by its share of the accumulated batch.
          timed(timings, 'backwardMs', () => backward(rows.length === groupSize ? loss : scale(loss, rows.length / groupSize)));
          return loss.keep();
        });
        if (keptPieces !== null) {
          keptPieces.push({ loss: lossValue, weight: rows.length / groupSize });
          continue;
        }
        try {
          stepLoss += ((await timed(timings, 'lossReadMs', () => lossValue.read()))[0] * rows.length) / groupSize;
        } finally {
          lossValue.dispose();
        }
      }
    }
    return keptPieces !== null ? NaN : stepLoss;
  };

  /** The guard and the progress report of one step whose loss is known; false: the update must be skipped (or was bad). */
  const report = (epoch: number, stepNo: number, lr: number, stepLoss: number, groupSize: number, sums: { lossSum: number; lossCount: number }): boolean => {
    let ok = true;
    // NOTE: cross-entropy starts near ln(classes); a loss beyond EXPLODED means the step size is far too large.
    if (!Number.isFinite(stepLoss) || stepLoss > EXPLODED) {
      if (++badSteps >= 3) {
        throw new TrainingFailed(`The loss was ${stepLoss} (${Number.isFinite(stepLoss) ? 'exploding' : 'not finite'}) for 3 consecutive steps (step ${stepNo}); try a lower learning_rate.`);
      }
      ok = false;
    } else {
      badSteps = 0;
      sums.lossSum += stepLoss;
      sums.lossCount++;
    }
    examples += groupSize;
    const elapsed = (performance.now() - started) / 1000;
    input.onProgress?.({
      epoch: epoch + 1,
      step: stepNo,
      totalSteps,
      loss: stepLoss,
      learningRate: lr,
      examplesPerSecond: examples / Math.max(elapsed, 1e-9),
      eta: (elapsed / stepNo) * (totalSteps - stepNo),
    });
    return ok;
  };

  const disposePending = (): void => {
    for (const p of pending) for (const q of p.pieces) q.loss.dispose();
    pending = [];
  };

  /** Deferred mode: read the pending steps' losses as one tensor (one readback), then guard and report each in order. */
  const drain = async (sums: { lossSum: number; lossCount: number }): Promise<void> => {
    if (pending.length === 0) return;
    const steps = pending;
    const all = steps.flatMap((p) => p.pieces.map((q) => q.loss));
    let values: Float32Array;
    try {
      const joined = noGrad(() => tidy(() => concat(all.map((l) => reshape(l, [1])), 0).keep()));
      try {
        values = await timed(timings, 'lossReadMs', () => joined.read());
      } finally {
        joined.dispose();
      }
    } finally {
      disposePending();
    }
    let k = 0;
    for (const p of steps) {
      let stepLoss = 0;
      for (const q of p.pieces) stepLoss += values[k++] * q.weight;
      report(p.epoch, p.step, p.lr, stepLoss, p.groupSize, sums);
    }
  };

  try {
    outer: for (let epoch = startEpoch; epoch < config.epochs; epoch++) {
      const sums = { lossSum: 0, lossCount: 0 };
      const micro = epochBatches(train.rows, config, epoch, model.lengthOf?.bind(model));
      for (let m = 0; m < micro.length; m += config.gradient_accumulation_steps) {
        if (input.shouldStop?.()) {
          stopped = 'cancelled';
          await drain(sums);
          break outer;
        }
        const group = micro.slice(m, m + config.gradient_accumulation_steps);
        const groupSize = group.reduce((a, b) => a + b.length, 0);
        let stepLoss = 0;
        let pieces: { loss: Tensor; weight: number }[] | null = null;
        for (;;) {
          pieces = deferred ? [] : null;
          try {
            stepLoss = await accumulate(group, groupSize, Math.ceil(config.batch_size / split), pieces);
            break;
          } catch (e) {
            for (const q of pieces ?? []) q.loss.dispose();
            if (!isGpuOutOfMemory(e)) throw e;
            // NOTE: the step's gradients are partial or invalid: drop them and redo the whole step in halves.
            zeroGrad(model.params);
            const size = Math.ceil(config.batch_size / split);
            if (size <= 1) {
              throw new TrainingFailed(`Out of GPU memory with a micro-batch of one example (step ${step + 1}): ${(e as Error).message} Lower max_seq_length, raise memoryBudgetBytes or train on "wasm".`);
            }
            split *= 2;
            halvings.push({ step: step + 1, microBatchSize: Math.ceil(config.batch_size / split), gradientAccumulationSteps: config.gradient_accumulation_steps * split });
          }
        }
        const lr = learningRate(schedule, step);
        const update = (): void =>
          timed(timings, 'updateMs', () => {
            clipGradNorm(model.params, config.max_grad_norm).dispose();
            optimizer.lr = lr;
            optimizer.update();
            zeroGrad(model.params);
          });
        timings.steps++;
        timings.examples += groupSize;
        if (pieces !== null) {
          // Deferred: the update runs now; the loss is read (and guarded) with the next report.
          update();
          pending.push({ epoch, step: step + 1, lr, groupSize, pieces });
          step++;
          if (pending.length >= lossReadEvery) await drain(sums);
        } else {
          if (report(epoch, step + 1, lr, stepLoss, groupSize, sums)) update();
          else zeroGrad(model.params);
          step++;
        }
        // Let the worker see a cancel message between steps.
        await timed(timings, 'yieldMs', nextTask);
      }
      await drain(sums);
      const val = validation.rows.length > 0 ? await timed(timings, 'validationMs', () => evaluateRows(model, validation.rows, validation.labels, config.batch_size, classes)) : null;
      const epochMetrics: EpochMetrics = {
        epoch: epoch + 1,
        trainLoss: sums.lossCount ? sums.lossSum / sums.lossCount : NaN,
        valLoss: val?.loss ?? null,
        valAccuracy: val?.accuracy ?? null,
        valMacroF1: val?.macroF1 ?? null,
      };
      metrics.push(epochMetrics);
      input.onEpoch?.(epochMetrics);
      if (val) {
        const score = higherIsBetter ? val.accuracy : -val.loss;
        if (best === null || score > best.score) {
          best = { epoch: epoch + 1, score, params: await timed(timings, 'checkpointMs', () => Promise.all(model.params.map((p) => p.read()))) };
          sinceBest = 0;
        } else if (config.early_stopping_patience > 0 && ++sinceBest >= config.early_stopping_patience) {
          stopped = 'early_stopped';
          break;
        }
      }
      // A checkpoint to resume from after a device loss (host copies: the LoRA and head parameters are small).
      last = { epoch: epoch + 1, metrics: [...metrics], best, sinceBest, params: await timed(timings, 'checkpointMs', () => Promise.all(model.params.map((p) => p.read()))) };
    }
  } catch (e) {
    // A lost GPU or a diverging loss must not lose the epochs already trained: hand back the best checkpoint.
    disposePending();
    optimizer.dispose();
    const failed = e instanceof TrainingFailed ? e : new TrainingFailed((e as Error).message);
    if (!(e instanceof TrainingFailed)) failed.cause = e;
    if (best !== null) failed.best = { epoch: best.epoch, params: best.params, metrics };
    failed.last = last;
    throw failed;
  }
  optimizer.dispose();
  // The best epoch's parameters (also after a cancel mid-epoch, which leaves half-trained ones behind).
  if (best !== null) restore(model.params, best.params);
  const kept = validation.rows.length > 0 ? await timed(timings, 'validationMs', () => evaluateRows(model, validation.rows, validation.labels, config.batch_size, classes)) : null;
  return {
    metrics,
    bestEpoch: best?.epoch ?? null,
    stopped,
    validation: { gold: [...validation.labels], predicted: kept?.predicted ?? [] },
    memory: { microBatchSize: Math.ceil(config.batch_size / split), gradientAccumulationSteps: config.gradient_accumulation_steps * split, halvings },
    timings,
  };
}

/** Sets parameters from host copies (a checkpoint). */
export function restore(params: Tensor[], values: Float32Array[]): void {
  noGrad(() =>
    params.forEach((p, i) => {
      tidy(() => p.assign(Tensor.fromData(p.backend, values[i], p.shape)));
    }),
  );
}

/** Mean loss, accuracy, macro-F1 and predicted class of each row, without gradients. */
export async function evaluateRows(model: TrainableModel, rows: readonly number[], labels: readonly number[], batchSize: number, classes: readonly string[]) {
  let lossSum = 0;
  const predicted: number[] = [];
  /** Each row's share of the piece's loss sum and its predicted class. */
  const piece = async (chunk: readonly (readonly [number, number])[]): Promise<{ loss: number; arg: number }[]> => {
    const [loss, logits] = noGrad(() =>
      tidy(() => {
        const lg = model.logits(chunk.map(([r]) => r), false);
        return [crossEntropy(lg, chunk.map(([, l]) => l)).keep(), lg.keep()] as const;
      }),
    );
    try {
      const mean = (await loss.read())[0];
      const values = await logits.read();
      const c = logits.shape[1];
      return chunk.map((_, i) => {
        let arg = 0;
        for (let j = 1; j < c; j++) if (values[i * c + j] > values[i * c + arg]) arg = j;
        return { loss: mean, arg };
      });
    } finally {
      loss.dispose();
      logits.dispose();
    }
  };
  for (const chunk of batches(rows.map((r, i) => [r, labels[i]] as const), batchSize)) {
    // On a GPU out-of-memory the validation batch is halved and retried, as inference does.
    const out = await runHalving(chunk, piece, isGpuOutOfMemory, (_, cause) => new TrainingFailed(`Out of GPU memory validating one example: ${(cause as Error).message}`));
    for (const o of out) {
      lossSum += o.loss;
      predicted.push(o.arg);
    }
  }
  const m = classificationMetrics(labels.map((l, i) => ({ gold: classes[l], predicted: classes[predicted[i]] })));
  return { loss: lossSum / rows.length, accuracy: m.accuracy, macroF1: m.macroF1, predicted };
}

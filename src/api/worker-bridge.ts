/**
 * The one worker bridge (used by the ingest, inference and training workers). A worker's API is a plain object of
 * async functions exposed once with Comlink (`workers/*.worker.ts`); here it is called with types, and:
 * - an `AbortSignal` cancels a call. With a `stop` hook (training) the worker is asked to stop and the call's own
 *   result is returned if it comes within `graceMs` (2 s); otherwise — or with no hook — the call rejects with a
 *   `cancelled` JammiError at once, and the worker is terminated (and recreated by the next call) unless the
 *   in-flight call settles within `graceMs`. A one-shot bridge's worker is terminated at once.
 * - a worker crash (an `error` event: a failed start, an uncaught error) rejects the call as `worker_crashed`.
 * - an error the worker threw as a JammiError comes back as a JammiError with its code.
 */
import { proxy, wrap, type Remote } from 'comlink';
import { cancelledError, JammiError, type ErrorCode } from '../errors';

export { proxy };

export const STOP_GRACE_MS = 2000;

export interface BridgeOptions {
  /** What the user asked for, for the cancel message: `<what> was cancelled.` */
  what: string;
  /** The crash message from the error event's detail (or `it could not start`). */
  crashMessage: (detail: string) => string;
  /** A fresh worker per call, terminated when the call ends either way. */
  oneShot?: boolean;
  graceMs?: number;
}

export interface CallOptions<Api> {
  signal?: AbortSignal;
  /** Asks the worker to stop cooperatively (it then returns what it has). */
  stop?: (api: Remote<Api>) => unknown;
}

const delay = (ms: number) => new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), ms));

/** A Comlink-carried error as our own: a JammiError thrown in the worker keeps its code. */
export function fromWorkerError(e: unknown): unknown {
  if (e instanceof JammiError || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') return new JammiError(code as ErrorCode, e.message);
  if (e.name === 'JammiError') return new JammiError('run_failed', e.message);
  return e;
}

export class WorkerBridge<Api> {
  /** The live worker; `pending` counts its calls in flight, `crashed` rejects on its error event. */
  private current: { worker: Worker; remote: Remote<Api>; crashed: Promise<never>; kill: (e: Error) => void; pending: number } | undefined;

  constructor(
    private readonly makeWorker: () => Worker,
    private readonly options: BridgeOptions,
  ) {}

  private get graceMs(): number {
    return this.options.graceMs ?? STOP_GRACE_MS;
  }

  private start() {
    if (this.current) return this.current;
    const worker = this.makeWorker();
    let kill: (e: Error) => void = () => {};
    const crashed = new Promise<never>((_, reject) => {
      kill = reject;
      worker.addEventListener('error', (e) => {
        if (this.current?.worker === worker) this.current = undefined;
        worker.terminate();
        reject(new JammiError('worker_crashed', this.options.crashMessage(e.message || 'it could not start')));
      });
    });
    crashed.catch(() => undefined);
    this.current = { worker, remote: wrap<Api>(worker), crashed, kill, pending: 0 };
    return this.current;
  }

  /** The live worker's API, if one is running (for a call beside the one in flight, e.g. fault injection). */
  remote(): Remote<Api> | undefined {
    return this.current?.remote;
  }

  /** Terminates the worker now; the next call starts a fresh one. With `reason`, calls still in flight reject with it. */
  terminate(reason?: Error): void {
    this.current?.worker.terminate();
    if (reason) this.current?.kill(reason);
    this.current = undefined;
  }

  async call<T>(job: (api: Remote<Api>) => Promise<T>, { signal, stop }: CallOptions<Api> = {}): Promise<T> {
    if (signal?.aborted) throw cancelledError(this.options.what);
    const w = this.start();
    w.pending++;
    const running = job(w.remote);
    running.catch(() => undefined);
    void running.then(
      () => w.pending--,
      () => w.pending--,
    );
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        if (stop) {
          void Promise.resolve(stop(w.remote)).catch(() => undefined);
          // A cooperative stop returns the call's own result when it comes in time.
          void Promise.race([running.then(() => 'settled' as const, () => 'settled' as const), delay(this.graceMs)]).then((r) => {
            if (r === 'timeout') {
              if (this.current === w) this.terminate();
              reject(cancelledError(this.options.what));
            }
          });
          return;
        }
        reject(cancelledError(this.options.what));
        if (this.options.oneShot) return this.terminate();
        void Promise.race([running.then(() => 'settled' as const, () => 'settled' as const), delay(this.graceMs)]).then((r) => {
          // NOTE: a later call on the same worker (e.g. the next run, reusing the model this one was loading)
          // keeps it alive: terminating would leave that call hanging. Only an otherwise idle worker is stopped.
          if (r === 'timeout' && this.current === w && w.pending <= 1) this.terminate();
        });
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      return await Promise.race([running, aborted, w.crashed]);
    } catch (e) {
      throw fromWorkerError(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      if (this.options.oneShot) this.terminate();
    }
  }
}

/**
 * Threads for the WebAssembly backend: workers that instantiate the same kernel module on the same shared
 * memory. The Backend API is synchronous, so the calling thread is thread 0: it writes one job slot per thread,
 * bumps the generation, runs its own slot and waits (Atomics.wait) until every worker counted down.
 * Workers are Node worker_threads in Node and module Workers in a browser; Atomics.wait is not allowed on a
 * browser's main thread, so there the backend runs one thread (see `threadsAllowed`).
 */
import { workerMain, type WorkerInit } from './worker-main';

/** Exports callable through the pool, in job-slot order. */
export const KERNELS = ['unary', 'affine', 'fill', 'binary', 'strided', 'reduce', 'softmaxRows', 'normalizeRows', 'gather', 'scatterAdd', 'matmul'] as const;
export type Kernel = (typeof KERNELS)[number];
/** Bytes of the control block: 64 of counters, then one 256-byte job slot per thread. */
export const ctrlBytes = (threads: number): number => 64 + 256 * threads;

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string' && typeof window === 'undefined' && typeof self === 'undefined';

/** Where more than one thread can run: Node, or a cross-origin-isolated browser worker (never a page's main thread). */
export function threadsAllowed(): boolean {
  if (isNode) return true;
  const g = globalThis as { crossOriginIsolated?: boolean; WorkerGlobalScope?: unknown; document?: unknown };
  return g.crossOriginIsolated === true && typeof g.WorkerGlobalScope !== 'undefined' && typeof g.document === 'undefined';
}

interface Thread {
  post(msg: WorkerInit): void;
  ready: Promise<void>;
  terminate(): void;
}

async function spawn(): Promise<Thread> {
  let resolve!: () => void;
  let reject!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  const onMessage = (m: unknown): void => {
    if (m === 'ready') resolve();
    else if (typeof m === 'string' && m.startsWith('error')) console.error(`WasmBackend worker ${m}`);
  };
  if (isNode) {
    // NOTE: the module name is computed so that browser bundlers leave this Node-only import alone.
    const name = ['node', 'worker_threads'].join(':');
    const { Worker } = (await import(/* @vite-ignore */ name)) as typeof import('node:worker_threads');
    const src = `const { parentPort } = require('node:worker_threads');\nparentPort.once('message', (d) => (${workerMain.toString()})(d, (m) => parentPort.postMessage(m)));`;
    const w = new Worker(src, { eval: true });
    w.unref(); // an idle pool must not keep Node alive
    w.on('message', onMessage);
    w.on('error', (e) => reject(e));
    return { post: (msg) => w.postMessage(msg), ready, terminate: () => void w.terminate() };
  }
  const w = new Worker(new URL('./pool.worker.ts', import.meta.url), { type: 'module' });
  w.onmessage = (e) => onMessage(e.data);
  w.onerror = (e) => reject(new Error(`WasmBackend worker failed to start: ${e.message}`));
  return { post: (msg) => w.postMessage(msg), ready, terminate: () => w.terminate() };
}

export class Pool {
  private readonly ctrl32: Int32Array;
  private readonly slots: Float64Array[];
  private readonly workers: Thread[];

  private constructor(readonly threads: number, private readonly exports: Record<Kernel, (...a: number[]) => void>, memory: WebAssembly.Memory, ctrl: number, workers: Thread[]) {
    this.ctrl32 = new Int32Array(memory.buffer, ctrl, 16);
    this.slots = Array.from({ length: threads }, (_, t) => new Float64Array(memory.buffer, ctrl + 64 + 256 * t, 32));
    this.workers = workers;
  }

  /** A pool of `threads` (the caller included) on `memory`; `ctrl` is a block of ctrlBytes(threads) in it. */
  static async create(threads: number, module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory, ctrl: number): Promise<Pool> {
    const exports = Object.fromEntries(KERNELS.map((k) => [k, instance.exports[k]])) as Record<Kernel, (...a: number[]) => void>;
    const workers: Thread[] = [];
    for (let tid = 1; tid < threads; tid++) workers.push(await spawn());
    workers.forEach((w, i) => w.post({ module, memory, ctrl, tid: i + 1, names: [...KERNELS] }));
    await Promise.all(workers.map((w) => w.ready));
    return new Pool(threads, exports, memory, ctrl, workers);
  }

  /** Run `kernel` with jobs[t] on thread t (null: nothing for it); returns when every thread is done. */
  run(kernel: Kernel, jobs: (number[] | null)[]): void {
    if (jobs.length === 1 || this.threads === 1) {
      for (const j of jobs) if (j !== null) this.exports[kernel](...j);
      return;
    }
    const c = this.ctrl32;
    const f = KERNELS.indexOf(kernel);
    for (let t = 1; t < this.threads; t++) {
      const s = this.slots[t];
      const j = jobs[t] ?? null;
      s[0] = j === null ? -1 : f;
      if (j !== null) {
        s[1] = j.length;
        for (let i = 0; i < j.length; i++) s[2 + i] = j[i];
      }
    }
    Atomics.store(c, 1, this.threads - 1);
    Atomics.add(c, 0, 1);
    Atomics.notify(c, 0);
    let err: unknown = null;
    try {
      if (jobs[0] !== null && jobs[0] !== undefined) this.exports[kernel](...jobs[0]);
    } catch (e) {
      err = e;
    }
    for (let v = Atomics.load(c, 1); v !== 0; v = Atomics.load(c, 1)) Atomics.wait(c, 1, v);
    if (err !== null) throw err;
    if (Atomics.load(c, 3) !== 0) {
      Atomics.store(c, 3, 0);
      throw new Error(`WasmBackend: ${kernel} failed on a worker thread`);
    }
  }

  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl32, 2, 1);
    Atomics.add(this.ctrl32, 0, 1);
    Atomics.notify(this.ctrl32, 0);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}

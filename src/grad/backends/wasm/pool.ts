/**
 * Threads for the WebAssembly backend: workers that instantiate the same kernel module on the same shared
 * memory. The Backend API is synchronous, so the calling thread is thread 0: it writes one job slot per thread,
 * bumps the generation, runs its own slot and waits (Atomics.wait) until every worker counted down.
 * Workers are Node worker_threads in Node and module Workers in a browser; Atomics.wait is not allowed on a
 * browser's main thread, so there the backend runs one thread (see `threadsAllowed`).
 *
 * An op comes as a list of chunks (disjoint parts of its output); every thread, the caller included, claims the
 * next unclaimed chunk until none is left, and the caller then waits only for chunks still running. So a worker
 * that is slow to wake (a busy machine) costs nothing: the caller does its chunks. Which thread runs a chunk never
 * changes its result (see index.ts), so the results stay byte-identical.
 */
import { workerMain, type WorkerInit } from './worker-main';

/** Exports callable through the pool, in job-slot order. */
export const KERNELS = ['unary', 'affine', 'fill', 'binary', 'strided', 'reduce', 'softmaxRows', 'normalizeRows', 'gather', 'scatterAdd', 'matmul', 'dropoutMask', 'gelu', 'geluGrad'] as const;
export type Kernel = (typeof KERNELS)[number];
/** How long workers may take to start before the pool gives up on them. */
const START_TIMEOUT_MS = 20_000;
/** Most chunks one op may have. */
export const MAX_CHUNKS = 64;
/** Bytes of the control block: 64 of counters, then one 256-byte job per chunk. */
export const CTRL_BYTES = 64 + 256 * MAX_CHUNKS;

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
  private readonly jobs: Float64Array;
  private readonly workers: Thread[];
  private gen = 0;

  private constructor(readonly threads: number, private readonly exports: Record<Kernel, (...a: number[]) => void>, memory: WebAssembly.Memory, ctrl: number, workers: Thread[]) {
    this.ctrl32 = new Int32Array(memory.buffer, ctrl, 16);
    this.jobs = new Float64Array(memory.buffer, ctrl + 64, MAX_CHUNKS * 32);
    this.workers = workers;
  }

  /** A pool of `threads` (the caller included) on `memory`; `ctrl` is a zeroed block of CTRL_BYTES in it. */
  static async create(threads: number, module: WebAssembly.Module, instance: WebAssembly.Instance, memory: WebAssembly.Memory, ctrl: number): Promise<Pool> {
    const exports = Object.fromEntries(KERNELS.map((k) => [k, instance.exports[k]])) as Record<Kernel, (...a: number[]) => void>;
    const workers: Thread[] = [];
    try {
      for (let tid = 1; tid < threads; tid++) workers.push(await spawn());
      workers.forEach((w) => w.post({ module, memory, ctrl, names: [...KERNELS] }));
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`workers not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS)));
      await Promise.race([Promise.all(workers.map((w) => w.ready)), timeout]).finally(() => clearTimeout(timer));
    } catch (e) {
      for (const w of workers) w.terminate();
      throw e;
    }
    return new Pool(threads, exports, memory, ctrl, workers);
  }

  /** Run `kernel` once per chunk (argument lists); returns when every chunk is done. */
  run(kernel: Kernel, chunks: number[][]): void {
    const fn = this.exports[kernel];
    if (chunks.length === 1 || this.threads === 1) {
      for (const j of chunks) fn(...j);
      return;
    }
    if (chunks.length > MAX_CHUNKS) throw new Error(`WasmBackend: ${chunks.length} chunks (at most ${MAX_CHUNKS})`);
    const c = this.ctrl32;
    const f = KERNELS.indexOf(kernel);
    chunks.forEach((j, i) => {
      const s = i * 32;
      this.jobs[s] = f;
      this.jobs[s + 1] = j.length;
      for (let a = 0; a < j.length; a++) this.jobs[s + 2 + a] = j[a];
    });
    const n = chunks.length;
    this.gen = (this.gen + 1) & 0x7fffffff;
    const tag = this.gen & 0xfffff;
    Atomics.store(c, 2, n);
    Atomics.store(c, 3, 0);
    Atomics.store(c, 1, tag << 11);
    Atomics.store(c, 0, this.gen);
    Atomics.notify(c, 0);
    let err: unknown = null;
    for (;;) {
      const v = Atomics.load(c, 1);
      const i = v & 2047;
      if (i >= n) break;
      if (Atomics.compareExchange(c, 1, v, v + 1) !== v) continue;
      try {
        fn(...chunks[i]);
      } catch (e) {
        err = e;
      }
      Atomics.add(c, 3, 1);
    }
    for (let d = Atomics.load(c, 3); d < n; d = Atomics.load(c, 3)) Atomics.wait(c, 3, d);
    if (err !== null) throw err;
    if (Atomics.load(c, 5) !== 0) {
      Atomics.store(c, 5, 0);
      throw new Error(`WasmBackend: ${kernel} failed on a worker thread`);
    }
  }

  close(): void {
    if (this.workers.length === 0) return;
    Atomics.store(this.ctrl32, 4, 1);
    Atomics.add(this.ctrl32, 0, 1);
    Atomics.notify(this.ctrl32, 0);
    for (const w of this.workers) w.terminate();
    this.workers.length = 0;
  }
}

/**
 * The body of a pool thread (a browser Worker or a Node worker_thread): instantiate the kernels on the shared
 * memory, then forever wait for the next job generation, run this thread's slot and count down.
 * NOTE: self-contained (no imports, no closures): Node runs it from its source text (`Function.toString`).
 *
 * Control block (Int32 at `ctrl`): [0] generation, [1] threads still running, [2] quit, [3] error flag.
 * Job slots (Float64) at ctrl + 64 + tid·256: [0] export index (−1: nothing), [1] argument count, [2…] arguments.
 */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  tid: number;
  names: string[];
}

export function workerMain(init: WorkerInit, post: (msg: unknown) => void): void {
  const { module, memory, ctrl, tid, names } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('wasm abort'); } } });
  const fns = names.map((n) => instance.exports[n] as (...args: number[]) => void);
  // the control block lies in the first pages: views made now stay valid when the memory grows
  const i32 = new Int32Array(memory.buffer, ctrl, 16);
  const slot = new Float64Array(memory.buffer, ctrl + 64 + tid * 256, 32);
  let gen = Atomics.load(i32, 0);
  post('ready');
  for (;;) {
    Atomics.wait(i32, 0, gen);
    gen = Atomics.load(i32, 0);
    if (Atomics.load(i32, 2) !== 0) return;
    try {
      const f = slot[0];
      if (f >= 0) {
        const n = slot[1];
        const args = new Array<number>(n);
        for (let i = 0; i < n; i++) args[i] = slot[2 + i];
        fns[f](...args);
      }
    } catch (e) {
      Atomics.store(i32, 3, 1);
      post(`error: ${String(e)}`);
    }
    if (Atomics.sub(i32, 1, 1) === 1) Atomics.notify(i32, 1);
  }
}

/**
 * The body of a pool thread (a browser Worker or a Node worker_thread): instantiate the kernels on the shared
 * memory, then forever wait for the next job generation and claim its chunks until none is left.
 * NOTE: self-contained (no imports, no closures): Node runs it from its source text (`Function.toString`).
 *
 * Control block (Int32 at `ctrl`): [0] generation, [1] next chunk = (generation & 0xFFFFF) << 11 | index,
 * [2] chunk count, [3] chunks done, [4] quit, [5] error flag. Chunk c's job (Float64) at ctrl + 64 + c·256:
 * [0] export index, [1] argument count, [2…] arguments.
 * Claims are tagged with the generation, so a thread that wakes late can never take a chunk of a later job twice.
 */
export interface WorkerInit {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  ctrl: number;
  names: string[];
}

export function workerMain(init: WorkerInit, post: (msg: unknown) => void): void {
  const { module, memory, ctrl, names } = init;
  const instance = new WebAssembly.Instance(module, { env: { memory, abort: () => { throw new Error('wasm abort'); } } });
  const fns = names.map((n) => instance.exports[n] as (...args: number[]) => void);
  // the control block lies in the first pages: views made now stay valid when the memory grows
  const i32 = new Int32Array(memory.buffer, ctrl, 16);
  const jobs = new Float64Array(memory.buffer, ctrl + 64, 64 * 32);
  let gen = Atomics.load(i32, 0);
  post('ready');
  for (;;) {
    Atomics.wait(i32, 0, gen);
    gen = Atomics.load(i32, 0);
    if (Atomics.load(i32, 4) !== 0) return;
    const tag = gen & 0xfffff;
    for (;;) {
      const v = Atomics.load(i32, 1);
      if (v >>> 11 !== tag) break;
      const c = v & 2047;
      const n = Atomics.load(i32, 2);
      if (c >= n) break;
      if (Atomics.compareExchange(i32, 1, v, v + 1) !== v) continue;
      try {
        const s = c * 32;
        const argc = jobs[s + 1];
        const args = new Array<number>(argc);
        for (let i = 0; i < argc; i++) args[i] = jobs[s + 2 + i];
        fns[jobs[s]](...args);
      } catch (e) {
        Atomics.store(i32, 5, 1);
        post(`error: ${String(e)}`);
      }
      if (Atomics.add(i32, 3, 1) + 1 === n) Atomics.notify(i32, 3);
    }
  }
}

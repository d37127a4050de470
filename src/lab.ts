/**
 * The lab page (`/lab.html`): the autograd engine and the encoders on `window.jammiLab`, so browser tests and
 * benchmarks can run them on WebGPU and on the CPU in a real page. The app does not use this page.
 * `inWorker(fn, args)` runs `fn(lib, args)` in a dedicated worker (see lab-worker.ts): the wasm backend's threads.
 */
import * as grad from './grad';
import * as safetensors from './nn/safetensors';
import { WebGpuBackend, createWebGpuBackend } from './grad/backends/webgpu';
import { createWasmBackend, hasRelaxedSimd } from './grad/backends/wasm';
import { conformanceCases } from './grad/conformance';

let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
/** Runs `src` (a function's source, called with the worker's lib and `args`) in the lab worker. */
function inWorker(src: string, args: unknown): Promise<unknown> {
  if (worker === null) {
    worker = new Worker(new URL('./lab-worker.ts', import.meta.url), { type: 'module' });
    worker.onmessage = (e: MessageEvent<{ id: number; result?: unknown; error?: string }>) => {
      const w = waiting.get(e.data.id);
      waiting.delete(e.data.id);
      if (e.data.error !== undefined) w?.reject(new Error(e.data.error));
      else w?.resolve(e.data.result);
    };
  }
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    worker!.postMessage({ id, src, args });
  });
}

const lab = { grad, safetensors, webgpu: { createWebGpuBackend, WebGpuBackend }, wasm: { createWasmBackend, hasRelaxedSimd }, conformanceCases, inWorker };

declare global {
  interface Window {
    jammiLab?: typeof lab;
  }
}

window.jammiLab = lab;
document.getElementById('status')!.textContent = `ready; WebGPU ${'gpu' in navigator ? 'API present' : 'API absent'}; wasm relaxed SIMD ${hasRelaxedSimd() ? 'yes' : 'no'}; crossOriginIsolated ${String(crossOriginIsolated)}`;

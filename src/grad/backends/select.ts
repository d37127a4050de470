/**
 * Picks the engine's backend from the user's choice `'auto' | 'webgpu' | 'wasm' | 'js'` and says what ran:
 * - `js`: the JavaScript backend (./js), one thread;
 * - `webgpu`: forced (any adapter, SwiftShader included); its failure is the caller's error;
 * - `wasm`: the WebAssembly backend (./wasm: SIMD kernels, threads where the context may block — a worker of a
 *   cross-origin-isolated page, or Node; one thread on a page's main thread), one instance per context;
 * - `auto`: ./auto's honest choice (never a software adapter; small models on WASM), with its reason.
 */
import type { Backend } from '../backend';
import { chooseAuto } from './auto';
import { JsBackend } from './js';
import { sharedWasmBackend } from './wasm';
import { createWebGpuBackend, type WebGpuOptions } from './webgpu';

import type { BackendChoice, EngineBackendName } from './choice';

export { BACKEND_CHOICES, type BackendChoice, type EngineBackendName } from './choice';

export interface EngineBackend {
  backend: Backend;
  /** What ran (never what was asked for). */
  name: EngineBackendName;
  /** Why this one: the choice, or auto's reason. */
  reason: string;
  /** CPU threads the backend uses (1 for js; WebGPU: 1, the dispatching thread). */
  threads: number;
}

async function wasmBackend(why: string): Promise<EngineBackend> {
  const backend = await sharedWasmBackend();
  const simd = backend.relaxed ? 'relaxed SIMD' : 'SIMD128';
  return { backend, name: 'wasm', reason: `${why}; WebAssembly ${simd} on ${backend.threads} thread${backend.threads === 1 ? '' : 's'}`, threads: backend.threads };
}

/** `memoryBudgetBytes` caps a WebGPU backend's memory (see WebGpuOptions). */
export async function createEngineBackend(choice: BackendChoice, opts: { modelBytes?: number } & Pick<WebGpuOptions, 'memoryBudgetBytes'> = {}): Promise<EngineBackend> {
  const gpuOptions: WebGpuOptions = { memoryBudgetBytes: opts.memoryBudgetBytes };
  switch (choice) {
    case 'js':
      return { backend: new JsBackend(), name: 'js', reason: 'js was asked for', threads: 1 };
    case 'wasm':
      return wasmBackend('wasm was asked for');
    case 'webgpu':
      return { backend: await createWebGpuBackend(gpuOptions), name: 'webgpu', reason: 'webgpu was asked for', threads: 1 };
    case 'auto': {
      const auto = await chooseAuto(opts);
      if (auto.backend === 'wasm') return wasmBackend(`auto: ${auto.reason}`);
      try {
        return { backend: await createWebGpuBackend(gpuOptions), name: 'webgpu', reason: `auto: ${auto.reason}`, threads: 1 };
      } catch (e) {
        return wasmBackend(`auto: WebGPU could not start (${(e as Error).message})`);
      }
    }
    default:
      throw new Error(`Unknown backend ${JSON.stringify(choice satisfies never)}; use "auto", "webgpu", "wasm" or "js".`);
  }
}

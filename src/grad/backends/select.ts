/** Picks the engine's backend: `wasm` is the CPU; `webgpu` is forced (its failure is the caller's error); `auto` tries WebGPU, else the CPU. */
import type { Backend } from '../backend';
import { CpuBackend } from './cpu';
import { createWebGpuBackend, type WebGpuOptions } from './webgpu';

export async function engineBackend(choice: 'auto' | 'webgpu' | 'wasm', options: Pick<WebGpuOptions, 'memoryBudgetBytes'> = {}): Promise<{ backend: Backend; name: 'webgpu' | 'wasm' }> {
  if (choice === 'wasm') return { backend: new CpuBackend(), name: 'wasm' };
  try {
    return { backend: await createWebGpuBackend(options), name: 'webgpu' };
  } catch (e) {
    if (choice === 'webgpu') throw e;
    return { backend: new CpuBackend(), name: 'wasm' };
  }
}

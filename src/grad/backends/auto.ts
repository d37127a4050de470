/**
 * The honest `auto`, written once: used by ONNX Runtime inference (src/infer) and by our engine (./select).
 * It says which device to use and why:
 * - never a software adapter: `adapter.info.isFallbackAdapter`, or vendor / architecture / description naming
 *   SwiftShader or llvmpipe (CPU emulation of a GPU, slower than WASM). Forcing `webgpu` still uses whatever
 *   adapter exists (the tests exercise GPU code on SwiftShader that way);
 * - on a hardware adapter, WebGPU, except for small models: below `SMALL_MODEL_BYTES` of weights the per-dispatch
 *   overhead of a GPU outweighs its arithmetic, and WASM (threads, SIMD) wins. The size is optional: without it,
 *   a hardware adapter means WebGPU.
 */

/** The size rule: models with fewer weight bytes than this run on WASM under `auto` (4 Mi float32 weights). */
export const SMALL_MODEL_BYTES = 16 * 2 ** 20;

export type AutoDevice = 'webgpu' | 'wasm';

export interface AutoChoice {
  backend: AutoDevice;
  /** One sentence, recorded in result metadata (`jammi.backend_reason`) and in the training report. */
  reason: string;
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  device?: string;
  isFallbackAdapter?: boolean;
}

const SOFTWARE = /swiftshader|llvmpipe|software|lavapipe/i;

/** Whether an adapter is a software (CPU-emulated) one. */
export function isSoftwareAdapter(info: AdapterInfoLike, adapterFlag?: boolean): boolean {
  if (info.isFallbackAdapter || adapterFlag) return true;
  return SOFTWARE.test([info.vendor, info.architecture, info.description, info.device].filter(Boolean).join(' '));
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** The choice from what the adapter says (pure: unit-tested without a browser). */
export function decideAuto(adapter: { info: AdapterInfoLike; isFallbackAdapter?: boolean } | null, modelBytes?: number, why = ''): AutoChoice {
  if (!adapter) return { backend: 'wasm', reason: `no WebGPU adapter${why ? ` (${why})` : ''}` };
  const { info } = adapter;
  const name = [info.vendor, info.architecture].filter(Boolean).join(' ') || 'unnamed adapter';
  if (isSoftwareAdapter(info, adapter.isFallbackAdapter)) {
    return { backend: 'wasm', reason: `the only WebGPU adapter is a software one (${name}): CPU emulation is slower than WASM` };
  }
  if (modelBytes !== undefined && modelBytes < SMALL_MODEL_BYTES) {
    return { backend: 'wasm', reason: `small model (${mib(modelBytes)} of weights < ${mib(SMALL_MODEL_BYTES)}): WASM beats GPU dispatch overhead` };
  }
  return { backend: 'webgpu', reason: `hardware WebGPU adapter (${name})` };
}

/** Asks the browser for its adapter and decides. */
export async function chooseAuto(opts: { modelBytes?: number } = {}): Promise<AutoChoice> {
  const gpu = typeof navigator === 'undefined' ? undefined : (navigator as Navigator & { gpu?: GPU }).gpu;
  if (!gpu) return decideAuto(null, opts.modelBytes, 'this browser has no WebGPU');
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return decideAuto(null, opts.modelBytes, (e as Error).message);
  }
  if (!adapter) return decideAuto(null, opts.modelBytes, 'requestAdapter() returned null');
  const flag = (adapter as GPUAdapter & { isFallbackAdapter?: boolean }).isFallbackAdapter;
  return decideAuto({ info: (adapter.info ?? {}) as AdapterInfoLike, isFallbackAdapter: flag }, opts.modelBytes);
}

/** True when this browser can give WebGPU any adapter (SwiftShader counts): what a forced `webgpu` needs. */
export async function hasWebGpu(): Promise<boolean> {
  try {
    return !!(await (navigator as Navigator & { gpu?: GPU }).gpu?.requestAdapter());
  } catch {
    return false;
  }
}

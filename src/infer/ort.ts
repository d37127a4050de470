/**
 * The one module that imports ONNX Runtime Web, and `runtimeFor` the one place that picks its build:
 * - `webgpu`: the `webgpu` entry (the one transformers.js imports too): the native WebGPU execution provider on the
 *   asyncify WASM build;
 * - `wasm`: the wasm-only entry on the plain WASM build (`ort-wasm-simd-threaded`): session.run 2.3× quicker than on
 *   the asyncify build with bert-tiny-sentiment (README, "Where infer's time goes").
 * Each entry bundles its own copy of onnxruntime-common: its own `env`, sessions and `Tensor` class, so a session is
 * fed tensors of its own runtime. Their wasm and loaders come from our own build (`?url` assets, precached for
 * offline use), never a CDN.
 *
 * NOTE: the JSEP build (the package's default entry) computes RoBERTa's position ids wrongly on WebGPU
 * (every row comes out ~"spam" on roberta-tiny-spam); the `webgpu` entry's EP matches PyTorch to ~1e-6.
 */
import * as ortWebGpu from 'onnxruntime-web/webgpu';
import * as ortWasm from 'onnxruntime-web/wasm';
import asyncifyWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import asyncifyMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import plainWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.wasm?url';
import plainMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.mjs?url';
import { chooseAuto } from '../grad/backends/auto';
import { halfToFloat } from '../nn/safetensors';
import { isOutOfMemoryMessage } from './oom';

export type ExecutionBackend = 'webgpu' | 'wasm';

type Ort = typeof ortWebGpu;

/** The ORT build each execution provider runs on, with its local assets. */
const RUNTIMES: Record<ExecutionBackend, { ort: Ort; wasm: string; mjs: string }> = {
  webgpu: { ort: ortWebGpu, wasm: asyncifyWasmUrl, mjs: asyncifyMjsUrl },
  wasm: { ort: ortWasm, wasm: plainWasmUrl, mjs: plainMjsUrl },
};

const configured = new Set<ExecutionBackend>();

/**
 * The runtime for `backend`, configured before its first session, i.e. after transformers.js' import has pointed
 * the `webgpu` entry's `wasmPaths` at its CDN: each entry's env gets our own assets.
 */
function runtimeFor(backend: ExecutionBackend): Ort {
  const { ort, wasm, mjs } = RUNTIMES[backend];
  if (configured.has(backend)) return ort;
  configured.add(backend);
  ort.env.wasm.wasmPaths = { wasm: new URL(wasm, self.location.href).href, mjs: new URL(mjs, self.location.href).href };
  // WASM threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP/COEP headers).
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  ort.env.wasm.proxy = false; // we already run in a worker
  ort.env.logLevel = 'error';
  return ort;
}

/** The WASM threads ORT's `wasm` runtime uses (1 unless the page is cross-origin isolated). */
export function wasmThreads(): number {
  return runtimeFor('wasm').env.wasm.numThreads ?? 1;
}

/**
 * ONNX Runtime's execution provider for a user's choice: `auto` is the one honest auto (../grad/backends/auto:
 * never a software adapter), with its reason; `js` (our engine's JavaScript backend) has no ORT counterpart and
 * runs ORT on `wasm`.
 */
export async function chooseOrtBackend(choice: 'auto' | 'webgpu' | 'wasm' | 'js', opts: { modelBytes?: number } = {}): Promise<{ backend: ExecutionBackend; reason: string }> {
  if (choice === 'auto') {
    const auto = await chooseAuto(opts);
    return { backend: auto.backend, reason: `auto: ${auto.reason}` };
  }
  if (choice === 'js') return { backend: 'wasm', reason: 'js was asked for: ONNX Runtime has no JavaScript backend, so its wasm ran' };
  return { backend: choice, reason: `${choice} was asked for` };
}

/** An ORT session whose runs are chained (ORT web sessions must not run concurrently). */
export class OrtSession {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly ort: Ort,
    private readonly session: ortWebGpu.InferenceSession,
    readonly backend: ExecutionBackend,
  ) {}

  static async create(model: Uint8Array, backend: ExecutionBackend): Promise<OrtSession> {
    const ort = runtimeFor(backend);
    // NOTE: exactly one execution provider: a forced backend must fail rather than fall back silently.
    // NOTE: no spinning: ORT's WASM pool threads otherwise busy-wait after every parallel section, taking the core
    // from the worker's own thread (and the page's). Measured on 2 shared cores with bert-tiny-sentiment: 1,516–1,726
    // rows/s without spinning against 402–721 with it, same build otherwise (README, Benchmarks).
    const session = await ort.InferenceSession.create(model, {
      executionProviders: [backend],
      graphOptimizationLevel: 'all',
      extra: { session: { intra_op: { allow_spinning: '0' } } },
    });
    return new OrtSession(ort, session, backend);
  }

  get inputNames(): readonly string[] {
    return this.session.inputNames;
  }

  get outputNames(): readonly string[] {
    return this.session.outputNames;
  }

  /**
   * Runs the model on int64 `[batch, seq]` inputs and returns the named output as float32 plus its dims.
   * Inputs the session does not declare are left out.
   */
  run(inputs: Record<string, BigInt64Array>, batch: number, seq: number, output: string): Promise<{ data: Float32Array; dims: readonly number[] }> {
    const next = this.chain.then(async () => {
      const feeds: Record<string, ortWebGpu.Tensor> = {};
      for (const name of this.session.inputNames) feeds[name] = new this.ort.Tensor('int64', inputs[name], [batch, seq]);
      const results = await this.session.run(feeds, [output]);
      const out = results[output];
      try {
        const raw = await out.getData();
        const data =
          out.type === 'float16' && raw instanceof Uint16Array ? Float32Array.from(raw, halfToFloat) : Float32Array.from(raw as ArrayLike<number>);
        return { data, dims: out.dims };
      } finally {
        out.dispose();
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }

  async release(): Promise<void> {
    await this.chain;
    await this.session.release();
  }
}

/** Whether an ORT error is the device running out of memory (then the caller halves the batch). */
export function isOutOfMemory(e: unknown): boolean {
  return isOutOfMemoryMessage(e instanceof Error ? e.message : String(e));
}

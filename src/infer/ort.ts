/**
 * The one module that imports ONNX Runtime Web. The `webgpu` entry (the one transformers.js imports too, so there
 * is one runtime) has both the native WebGPU execution provider and WASM. Its wasm and loader come from our own
 * build (`?url` assets), never a CDN.
 *
 * NOTE: the JSEP build (the package's default entry) computes RoBERTa's position ids wrongly on WebGPU
 * (every row comes out ~"spam" on roberta-tiny-spam); the `webgpu` entry's EP matches PyTorch to ~1e-6.
 */
import * as ort from 'onnxruntime-web/webgpu';
import ortWasmUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.wasm?url';
import ortMjsUrl from 'onnxruntime-web/ort-wasm-simd-threaded.asyncify.mjs?url';
import { chooseAuto } from '../grad/backends/auto';
import { halfToFloat } from '../nn/safetensors';
import { isOutOfMemoryMessage } from './oom';

export type ExecutionBackend = 'webgpu' | 'wasm';

let configured = false;

/** Runs before the first session, i.e. after transformers.js' import has pointed `wasmPaths` at its CDN. */
function configure(): void {
  if (configured) return;
  configured = true;
  ort.env.wasm.wasmPaths = { wasm: new URL(ortWasmUrl, self.location.href).href, mjs: new URL(ortMjsUrl, self.location.href).href };
  // WASM threads need SharedArrayBuffer, i.e. a cross-origin isolated page (COOP/COEP headers).
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1)) : 1;
  ort.env.wasm.proxy = false; // we already run in a worker
  ort.env.logLevel = 'error';
}

/** The WASM threads ORT uses (1 unless the page is cross-origin isolated). */
export function wasmThreads(): number {
  configure();
  return ort.env.wasm.numThreads ?? 1;
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
    private readonly session: ort.InferenceSession,
    readonly backend: ExecutionBackend,
  ) {}

  static async create(model: Uint8Array, backend: ExecutionBackend): Promise<OrtSession> {
    configure();
    // NOTE: exactly one execution provider: a forced backend must fail rather than fall back silently.
    const session = await ort.InferenceSession.create(model, { executionProviders: [backend], graphOptimizationLevel: 'all' });
    return new OrtSession(session, backend);
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
      const feeds: Record<string, ort.Tensor> = {};
      for (const name of this.session.inputNames) feeds[name] = new ort.Tensor('int64', inputs[name], [batch, seq]);
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

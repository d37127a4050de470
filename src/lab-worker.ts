/**
 * A dedicated worker of the lab page: runs a benchmark or test function there, where the wasm backend may use
 * threads (Atomics.wait is not allowed on a page's main thread). Lab only; the app does not use it.
 * NOTE: the function arrives as source text (benchmarks define it beside their Node twin), so this worker evals.
 */
import * as grad from './grad';
import * as nn from './nn';
import { createWasmBackend, hasRelaxedSimd } from './grad/backends/wasm';
import { conformanceCases } from './grad/conformance';

const lib = { grad, nn, wasm: { createWasmBackend, hasRelaxedSimd }, conformanceCases };
export type LabWorkerLib = typeof lib;

self.onmessage = async (e: MessageEvent<{ id: number; src: string; args: unknown }>) => {
  const { id, src, args } = e.data;
  try {
    const f = (0, eval)(`(${src})`) as (l: typeof lib, a: unknown) => unknown;
    postMessage({ id, result: await f(lib, args) });
  } catch (err) {
    postMessage({ id, error: err instanceof Error ? `${err.message}\n${err.stack}` : String(err) });
  }
};

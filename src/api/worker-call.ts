import { proxy, wrap, type Remote } from 'comlink';
import { abortError } from './errors';

/**
 * Runs one job in a fresh dedicated worker: `signal` aborts it by terminating the worker (the only way to stop
 * synchronous work mid-flight), and the worker is terminated when the job ends either way.
 */
export async function inWorker<Api, T>(
  makeWorker: () => Worker,
  what: string,
  signal: AbortSignal | undefined,
  job: (api: Remote<Api>) => Promise<T>,
): Promise<T> {
  if (signal?.aborted) throw abortError(what);
  const worker = makeWorker();
  let onAbort: () => void = () => {};
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      worker.terminate();
      reject(abortError(what));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  const failed = new Promise<never>((_, reject) => {
    worker.addEventListener('error', (e) => reject(new Error(`${what} failed in its worker: ${e.message || 'the worker could not start'}`)));
  });
  try {
    return await Promise.race([job(wrap<Api>(worker)), aborted, failed]);
  } finally {
    signal?.removeEventListener('abort', onAbort);
    worker.terminate();
  }
}

export { proxy };

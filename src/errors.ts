/**
 * The one error type (a leaf: imports nothing from src/). Every problem a user can act on is a `JammiError`: a
 * stable `code` for programs, and a `message` that names the source, column, file or model at fault — the UI
 * shows the message as it is. A cancel is a `JammiError` with code `cancelled` and name `AbortError` (the DOM's
 * convention for an aborted signal). Errors cross the worker boundary with their code (see `toWire`/`fromWire`).
 */
export type ErrorCode =
  /** A CSV file that cannot be read (empty, binary, unclosed quote, duplicate column, bad type). */
  | 'bad_csv'
  /** A bad argument to the API: an unknown option value, a missing column, an unknown source. */
  | 'bad_input'
  /** A fine-tuning setting out of range. */
  | 'bad_config'
  /** A model whose files are missing or unreadable. */
  | 'model_file'
  /** A model whose config, tokenizer or graph do not fit (no id2label, vocab mismatch, unsupported type). */
  | 'model_config'
  /** An adapter that cannot be read or applied. */
  | 'bad_adapter'
  /** WebGPU was asked for and is not available. */
  | 'gpu_unavailable'
  /** The device ran out of memory even at one row. */
  | 'gpu_oom'
  /** The model failed while running (not a memory problem). */
  | 'run_failed'
  /** Training failed (a non-finite loss, or the worker's error). */
  | 'training_failed'
  /** A worker crashed or could not start. */
  | 'worker_crashed'
  /** Saving to the browser's storage (OPFS) failed: the quota is full, or another error; what was saved is intact. */
  | 'storage_quota'
  | 'storage_failed'
  | 'cancelled';

export class JammiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = code === 'cancelled' ? 'AbortError' : 'JammiError';
  }
}

/** `<what> was cancelled.` — the error a cancelled call rejects with. */
export function cancelledError(what: string): JammiError {
  return new JammiError('cancelled', `${what} was cancelled.`);
}

export function isJammiError(e: unknown): e is JammiError {
  return e instanceof JammiError;
}

/** `e` as a JammiError: itself, or a new one with `code` and its message (prefixed by `prefix` when given). */
export function asJammiError(e: unknown, code: ErrorCode, prefix = ''): JammiError {
  if (e instanceof JammiError) return e;
  return new JammiError(code, prefix + (e instanceof Error ? e.message : String(e)), { cause: e });
}

/** What crosses a worker boundary (structured clone keeps plain objects, not classes). */
export interface WireError {
  jammi: true;
  code: ErrorCode;
  message: string;
  stack?: string;
}

export function toWire(e: JammiError): WireError {
  return { jammi: true, code: e.code, message: e.message, stack: e.stack };
}

export function fromWire(w: WireError): JammiError {
  const e = new JammiError(w.code, w.message);
  if (w.stack) e.stack = w.stack;
  return e;
}

/**
 * Makes Comlink carry a thrown error's `code` from a worker (its default handler keeps only name, message and
 * stack). Called once in each `workers/*.worker.ts` with Comlink's `transferHandlers`; the bridge on the page side
 * turns the result back into a JammiError.
 */
export function keepErrorCodes(handlers: Map<string, { canHandle(v: unknown): boolean; serialize(v: never): [unknown, Transferable[]]; deserialize(v: never): unknown }>): void {
  const base = handlers.get('throw');
  if (!base) return;
  handlers.set('throw', {
    canHandle: (v) => base.canHandle(v),
    serialize: (thrown: { value: unknown }) => {
      const [out, transfer] = base.serialize(thrown as never) as [{ isError: boolean; value: Record<string, unknown> }, Transferable[]];
      const code = (thrown.value as { code?: unknown } | null)?.code;
      if (out.isError && typeof code === 'string') out.value.code = code;
      return [out, transfer];
    },
    deserialize: (v) => base.deserialize(v as never),
  });
}

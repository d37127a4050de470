/**
 * Where a batch's time went in the inference worker, in milliseconds (`performance.now()` deltas): what
 * `Database.infer`'s `onProfile` reports and the infer bench prints. `run` is `session.run` (or our engine's
 * forward + read); `tensors` is padding and the int64 feeds; `head` is softmax, label and the scores' JSON.
 */
export interface BatchPhases {
  tokenize: number;
  tensors: number;
  run: number;
  head: number;
}

export const noPhases = (): BatchPhases => ({ tokenize: 0, tensors: 0, run: 0, head: 0 });

/** `into += add`, phase by phase. */
export function addPhases(into: BatchPhases, add: BatchPhases): BatchPhases {
  into.tokenize += add.tokenize;
  into.tensors += add.tensors;
  into.run += add.run;
  into.head += add.head;
  return into;
}

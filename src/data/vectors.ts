import { makeBuilder, type DataType, type Vector } from 'apache-arrow';

/**
 * `vectorFromArray(values, type)` without eval. Arrow's builders compile their null test with `new Function` when
 * given `nullValues`, which our Content-Security-Policy (no 'unsafe-eval') blocks; this builder gets no
 * `nullValues` and the same test as a plain closure. null and undefined become nulls. Flat types only (no children).
 */
export function vectorOf<T extends DataType>(values: readonly unknown[], type: T): Vector<T> {
  const builder = makeBuilder({ type, nullValues: [] });
  // NOTE: `_isValid` is Builder's own hook (its prototype default is `() => true`); setting it is what the
  // compiled function would have done.
  (builder as unknown as { _isValid: (v: unknown) => boolean })._isValid = (v) => v !== null && v !== undefined;
  for (const v of values) builder.append(v as never);
  return builder.finish().toVector() as Vector<T>;
}

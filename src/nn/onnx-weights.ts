/**
 * Finding a model's weights in its ONNX graph by their HF parameter names, and replacing them.
 *
 * PyTorch's exporter keeps most parameter names as initializer names, but a Linear's weight that feeds a MatMul is
 * stored transposed ([in, out]) under a generated name (`onnx::MatMul_308`), and node names do not say which module
 * it came from. So a weight is found by name (same shape, same values), else by value: the initializer whose values
 * equal the base weight transposed. Every match is checked against the base weights; nothing is guessed.
 */
import { OnnxError, setTensorFloats, tensorDims, tensorFloats, type GraphProto, type TensorProto } from './onnx-proto';
import type { F32Entry } from './safetensors';

export interface WeightLocation {
  tensor: TensorProto;
  /** Stored as [in, out] (a MatMul operand) rather than the HF [out, in]. */
  transposed: boolean;
}

/** NOTE: the ONNX file and model.safetensors come from one checkpoint: equal up to float32 rounding of the writer. */
const TOLERANCE = 1e-6;

function close(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!(Math.abs(a[i] - b[i]) <= TOLERANCE * Math.max(1, Math.abs(b[i])))) return false;
  return true;
}

function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = data[r * cols + c];
  return out;
}

const sameDims = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/**
 * Locates each of `names` (HF parameter names, values in `base`) among the graph's initializers.
 * Throws when one cannot be found, or is found twice.
 */
export function locateWeights(graph: GraphProto, base: ReadonlyMap<string, F32Entry>, names: readonly string[]): Map<string, WeightLocation> {
  const inits = graph.initializer ?? [];
  const byName = new Map(inits.map((t) => [t.name ?? '', t]));
  const values = new Map<TensorProto, Float32Array>();
  const valuesOf = (t: TensorProto) => {
    let v = values.get(t);
    if (!v) values.set(t, (v = tensorFloats(t)));
    return v;
  };
  const claimed = new Map<TensorProto, string>();
  const out = new Map<string, WeightLocation>();
  for (const name of names) {
    const w = base.get(name);
    if (!w) throw new OnnxError(`the base model has no parameter ${name}`);
    let found: WeightLocation | null = null;
    const named = byName.get(name);
    if (named && sameDims(tensorDims(named), w.shape)) {
      if (!close(valuesOf(named), w.data)) throw new OnnxError(`initializer ${name} differs from model.safetensors: they are not the same checkpoint`);
      found = { tensor: named, transposed: false };
    } else if (w.shape.length === 2) {
      const [rows, cols] = w.shape;
      const wt = transpose(w.data, rows, cols);
      const matches = inits.filter((t) => t.dataType === 1 && sameDims(tensorDims(t), [cols, rows]) && close(valuesOf(t), wt));
      if (matches.length > 1) throw new OnnxError(`${matches.length} initializers hold the values of ${name}: cannot tell which to replace`);
      if (matches.length === 1) found = { tensor: matches[0], transposed: true };
    }
    if (!found) throw new OnnxError(`no initializer holds ${name} [${w.shape}] (by name, or transposed by value)`);
    const other = claimed.get(found.tensor);
    if (other !== undefined) throw new OnnxError(`${name} and ${other} resolve to the same initializer ${found.tensor.name}`);
    claimed.set(found.tensor, name);
    out.set(name, found);
  }
  return out;
}

/** Writes new values (HF layout; shape may change, e.g. a classifier for more labels) into located initializers. */
export function replaceWeights(locations: ReadonlyMap<string, WeightLocation>, weights: ReadonlyMap<string, F32Entry>): void {
  for (const [name, { tensor, transposed }] of locations) {
    const w = weights.get(name);
    if (!w) throw new OnnxError(`no new value for ${name}`);
    if (transposed) {
      const [rows, cols] = w.shape;
      setTensorFloats(tensor, [cols, rows], transpose(w.data, rows, cols));
    } else setTensorFloats(tensor, w.shape, w.data);
  }
}

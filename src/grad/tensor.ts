/**
 * Tensor: a shape over a reference-counted device buffer, plus the autodiff record (parents + backward rule).
 *
 * Memory ownership is explicit: every tensor owns one reference to its storage and must be disposed, either by
 * `t.dispose()` or by the innermost `tidy()` scope it was created in. `keep(t)` lets a tensor outlive its scope.
 * Reshape-like ops share storage (refcount), so disposing a view never frees the data of its source.
 */
import { sizeOf, type Backend, type DeviceBuffer } from './backend';

class Storage {
  refs = 1;
  constructor(readonly backend: Backend, readonly buf: DeviceBuffer) {}
  release(): void {
    if (--this.refs === 0) this.backend.dispose(this.buf);
  }
}

/** A recorded tensor's rule, bound to what its forward saved: dL/dout → dL/d each parent (null: none flows). */
export type BackwardRule = (g: Tensor) => (Tensor | null)[];

/** An op's backward: dL/dout and what its forward saved → dL/d each parent (null: none flows to that parent). */
export type Rule<Saved> = (g: Tensor, saved: Saved) => (Tensor | null)[];

/**
 * One backward rule per op name, keyed by op: `Ops` maps each op of a family (one ops/*.ts file) to what its
 * forward saves. A name in `Ops` without an entry here does not compile; `null` states, explicitly, that an op
 * has no derivative (its output is never recorded).
 */
export type Rules<Ops> = { readonly [P in keyof Ops]: Rule<Ops[P]> | null };

let gradEnabled = true;
const scopes: Set<Tensor>[] = [];

export class Tensor {
  readonly shape: readonly number[];
  readonly size: number;
  readonly backend: Backend;
  /** A leaf with requiresGrad collects `.grad` in backward; an op output with it records its parents. */
  requiresGrad: boolean;
  grad: Tensor | null = null;
  /** Optional name (parameters: the HF / PEFT name). */
  name: string | undefined;
  parents: readonly Tensor[] = [];
  /** The op that made this tensor, when it was recorded (a key of its family's rule table). */
  op: string | null = null;
  rule: BackwardRule | null = null;
  private storage: Storage | null;
  private kept = false;

  private constructor(storage: Storage, shape: readonly number[], requiresGrad: boolean) {
    this.storage = storage;
    this.backend = storage.backend;
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    this.requiresGrad = requiresGrad;
    if (storage.buf.size !== this.size) throw new Error(`Tensor: buffer of ${storage.buf.size} for shape [${shape}]`);
    const scope = scopes[scopes.length - 1];
    if (scope !== undefined) scope.add(this);
  }

  /** Wrap a freshly made buffer (the tensor takes ownership). */
  static fromBuffer(backend: Backend, buf: DeviceBuffer, shape: readonly number[], requiresGrad = false): Tensor {
    return new Tensor(new Storage(backend, buf), shape, requiresGrad);
  }

  static fromData(backend: Backend, data: ArrayLike<number>, shape: readonly number[], requiresGrad = false): Tensor {
    if (data.length !== sizeOf(shape)) throw new Error(`fromData: ${data.length} values for shape [${shape}]`);
    const arr = data instanceof Float32Array || data instanceof Float64Array ? data : Float64Array.from(data);
    return Tensor.fromBuffer(backend, backend.upload(arr), shape, requiresGrad);
  }

  static full(backend: Backend, shape: readonly number[], value: number, requiresGrad = false): Tensor {
    return Tensor.fromBuffer(backend, backend.fill(sizeOf(shape), value), shape, requiresGrad);
  }

  static zeros(backend: Backend, shape: readonly number[], requiresGrad = false): Tensor {
    return Tensor.full(backend, shape, 0, requiresGrad);
  }

  get buf(): DeviceBuffer {
    if (this.storage === null) throw new Error(`Tensor${this.name ? ` ${this.name}` : ''} [${this.shape}] used after dispose`);
    return this.storage.buf;
  }
  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this.storage === null;
  }

  /** A new tensor of another shape (same size) over the same storage. No autodiff record: see ops.reshape. */
  alias(shape: readonly number[] = this.shape): Tensor {
    const s = this.storage;
    if (s === null) throw new Error('alias of a disposed tensor');
    s.refs++;
    return new Tensor(s, shape, false);
  }

  /** Replace this tensor's data by `src`'s (same shape), e.g. an optimiser update. Drops any autodiff record. */
  assign(src: Tensor): void {
    if (src.size !== this.size) throw new Error(`assign: [${src.shape}] into [${this.shape}]`);
    const s = src.storage;
    if (s === null || this.storage === null) throw new Error('assign with a disposed tensor');
    s.refs++;
    this.storage.release();
    this.storage = s;
    this.parents = [];
    this.op = null;
    this.rule = null;
  }

  /**
   * Release this handle's reference to the data. The autodiff record stays, so disposing an intermediate whose
   * backward rule needs only shapes (reshape, add) does not break backward; one whose rule reads data does.
   */
  dispose(): void {
    if (this.storage === null) return;
    this.storage.release();
    this.storage = null;
  }

  async read(): Promise<Float32Array> {
    return this.backend.read(this.buf);
  }

  /** Synchronous readback (CPU backend only), in the backend's precision. */
  dataSync(): Float32Array | Float64Array {
    if (this.backend.readSync === undefined) throw new Error(`${this.backend.name} has no synchronous readback; use read()`);
    return this.backend.readSync(this.buf);
  }

  /** Mark as kept: the enclosing tidy() scopes will not dispose it. */
  keep(): this {
    this.kept = true;
    for (const s of scopes) s.delete(this);
    return this;
  }
  /** @internal used by tidy */
  get isKept(): boolean {
    return this.kept;
  }
}

export function keep<T extends Tensor>(t: T): T {
  return t.keep();
}

/** Anything whose tensors survive a tidy(): a tensor, or arrays / plain objects of them. */
function collect(x: unknown, out: Set<Tensor>, depth = 0): void {
  if (x instanceof Tensor) out.add(x);
  else if (depth < 3 && Array.isArray(x)) for (const v of x) collect(v, out, depth + 1);
  else if (depth < 3 && x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype)
    for (const v of Object.values(x)) collect(v, out, depth + 1);
}

/**
 * Run `fn` and dispose every tensor created inside that is neither returned nor kept. Returned tensors move to
 * the enclosing scope. Synchronous only: an async fn would see its awaits escape the scope.
 */
export function tidy<T>(fn: () => T): T {
  const scope = new Set<Tensor>();
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    // An op threw halfway: free what the scope made so far, then let the error through.
    for (const t of scope) if (!t.isKept) t.dispose();
    throw e;
  } finally {
    scopes.pop();
  }
  const survivors = new Set<Tensor>();
  collect(result, survivors);
  const parent = scopes[scopes.length - 1];
  for (const t of scope) {
    if (survivors.has(t)) parent?.add(t);
    else if (!t.isKept) t.dispose();
  }
  return result;
}

/** Run `fn` without recording the autodiff graph (inference, optimiser updates, backward itself). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * The `record` of one op family: `record(op, out, parents, saved)` attaches `rules[op]` (bound to `saved`) to a
 * fresh op output when any parent needs a gradient. The only way an op enters the graph, so every recorded op
 * is a key of a typed rule table.
 */
export function recorder<Ops>(rules: Rules<Ops>) {
  return <P extends keyof Ops & string>(op: P, out: Tensor, parents: readonly Tensor[], saved: Ops[P]): Tensor => {
    const rule = rules[op];
    if (rule !== null && gradEnabled && parents.some((p) => p.requiresGrad)) {
      out.requiresGrad = true;
      out.parents = parents;
      out.op = op;
      out.rule = (g) => rule(g, saved);
    }
    return out;
  };
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // NOTE: iterative DFS; deep graphs (many layers × many ops) would overflow a recursive one.
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const [node, i] = top;
    if (i < node.parents.length) {
      top[1]++;
      const p = node.parents[i];
      if (p.requiresGrad && !seen.has(p)) {
        seen.add(p);
        stack.push([p, 0]);
      }
    } else {
      stack.pop();
      order.push(node);
    }
  }
  return order;
}

/**
 * Reverse-mode autodiff from `root` (seeded with ones, or `seed`): gradients accumulate into `.grad` of every
 * leaf with requiresGrad (kept, so they outlive tidy scopes; free them with zeroGrad). Intermediate gradients are
 * disposed before returning. The forward graph stays intact (dispose it with its tidy scope).
 */
export function backward(root: Tensor, seed?: Tensor, addInto: (a: Tensor, b: Tensor) => Tensor = defaultAdd): void {
  if (!root.requiresGrad) throw new Error('backward: the tensor does not depend on any tensor with requiresGrad');
  const order = topoOrder(root);
  tidy(() =>
    noGrad(() => {
      const grads = new Map<Tensor, Tensor>();
      grads.set(root, seed ?? Tensor.full(root.backend, root.shape, 1));
      for (let n = order.length - 1; n >= 0; n--) {
        const node = order[n];
        const g = grads.get(node);
        if (g === undefined) continue;
        grads.delete(node);
        if (node.rule === null) {
          const mine = g.alias(node.shape).keep();
          if (node.grad === null) node.grad = mine;
          else {
            const sum = addInto(node.grad, mine).keep();
            node.grad.dispose();
            mine.dispose();
            node.grad = sum;
          }
          continue;
        }
        const pgs = node.rule(g);
        for (let i = 0; i < node.parents.length; i++) {
          const p = node.parents[i];
          const pg = pgs[i];
          if (!p.requiresGrad || pg === null || pg === undefined) continue;
          if (pg.size !== p.size) throw new Error(`backward: gradient [${pg.shape}] for parent [${p.shape}]`);
          const prev = grads.get(p);
          grads.set(p, prev === undefined ? pg : addInto(prev, pg));
        }
      }
    }),
  );
}

function defaultAdd(a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new Error('gradient accumulation: size mismatch');
  const v = { strides: [1], offset: 0 };
  return Tensor.fromBuffer(a.backend, a.backend.binary('add', { buf: a.buf, ...v }, { buf: b.buf, ...v }, [a.size]), a.shape);
}

/** Dispose and clear `.grad` of each tensor. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}

/**
 * The backward-rule tables: each op family's `Rules<Ops>` has a rule (or an explicit null) for every op, and every
 * recorded op is a key of one. The first test is a compile-time test: `tsc` (the typecheck in `npm test`) checks
 * this file, and each `@ts-expect-error` fails the build if the line under it compiles.
 */
import { describe, expect, it } from 'vitest';
import { JsBackend } from './backends/js';
import { Tensor, recorder, tidy, type Rules } from './tensor';
import { ELEMENTWISE_RULES, add, affine, eq, exp, step, type ElementwiseOps } from './ops/elementwise';
import { BROADCAST_RULES, expand, sum, type BroadcastOps } from './ops/broadcast';
import { MOVEMENT_RULES, concat, gather, segmentSum, permute, reshape, slice, transpose, type MovementOps } from './ops/movement';
import { MATMUL_RULES, matmul, type MatmulOps } from './ops/matmul';
import { REDUCE_RULES, max, mean, type ReduceOps } from './ops/reduce';
import { SPARSE_RULES, sparseMatmul, sparseMatrix } from './ops/sparse';
import { FUSED_RULES, geluFused, normalizeLast, softmaxLast, type FusedOps } from './ops/fused';
import { createWasmBackend } from './backends/wasm';

/** An op name added to a family without its rule. */
type Cube = { cube: { x: Tensor } };

describe('backward-rule tables', () => {
  it('an op without a rule does not compile', () => {
    // @ts-expect-error elementwise: 'cube' has no rule
    const e: Rules<ElementwiseOps & Cube> = ELEMENTWISE_RULES;
    // @ts-expect-error broadcast: 'cube' has no rule
    const b: Rules<BroadcastOps & Cube> = BROADCAST_RULES;
    // @ts-expect-error movement: 'cube' has no rule
    const m: Rules<MovementOps & Cube> = MOVEMENT_RULES;
    // @ts-expect-error matmul: 'cube' has no rule
    const mm: Rules<MatmulOps & Cube> = MATMUL_RULES;
    // @ts-expect-error reduce: 'cube' has no rule
    const r: Rules<ReduceOps & Cube> = REDUCE_RULES;
    // @ts-expect-error fused: 'cube' has no rule
    const f: Rules<FusedOps & Cube> = FUSED_RULES;
    // @ts-expect-error a table literal that leaves out one of its ops
    const partial: Rules<{ twice: { x: Tensor } } & Cube> = { twice: (g) => [affine(g, 2, 0)] };
    const record = recorder<{ twice: { x: Tensor } }>({ twice: (g) => [affine(g, 2, 0)] });
    const unknownOp = (x: Tensor) =>
      // @ts-expect-error a forward cannot record an op that its table does not name
      record('thrice', affine(x, 3, 0), [x], { x });
    const wrongSaved = (x: Tensor) =>
      // @ts-expect-error nor save something other than what the rule reads
      record('twice', affine(x, 2, 0), [x], { y: x });
    expect([e, b, m, mm, r, f, partial, unknownOp, wrongSaved].length).toBe(9);
  });

  it('every op of every table is recorded under its own name; null ops are never recorded', async () => {
    const be = new JsBackend('f64');
    // the fused GELU is a wasm kernel (the JS backend runs the composed form)
    const wasm = await createWasmBackend({ threads: 1 });
    const seen = new Map<string, string | null>();
    tidy(() => {
      const x = Tensor.fromData(be, [1, -2, 3, 0.5, 2, -1], [2, 3], true);
      const x3 = reshape(x, [1, 2, 3]);
      const ops: [string, Tensor][] = [
        ['exp', exp(x)], ['add', add(x, x)], ['affine', affine(x, 2, 1)], ['affine', mean(x, 1)], ['step', step(x)], ['eq', eq(x, x)],
        ['sum', sum(x, 0)], ['expand', expand(x, [4, 2, 3])], ['reshape', x3], ['reshape', expand(x, [2, 3])],
        ['permute', transpose(x)], ['permute', permute(x3, [2, 0, 1])], ['slice', slice(x, 1, 0, 2)], ['concat', concat([x, x], 0)],
        ['gather', gather(x, Int32Array.from([1, 0, 1]))], ['segmentSum', segmentSum(x, Int32Array.from([1, 0]), 2)], ['matmul', matmul(x, x, { transB: true })], ['matmulRows', matmul(x3, x, { transB: true })],
        ['max', max(x, 1)], ['softmaxRows', softmaxLast(x)], ['normalizeRows', normalizeLast(x, 1e-5)],
        ['sparseMatmul', sparseMatmul(sparseMatrix(Int32Array.from([0, 1, 3]), Int32Array.from([1, 0, 1]), Float32Array.from([2, 1, -1]), 2), x)],
        ['gelu', geluFused(Tensor.fromData(wasm, [1, -2, 3], [3], true))],
      ];
      for (const [name, t] of ops) seen.set(name, t.op);
    });
    const tables: Rules<unknown>[] = [ELEMENTWISE_RULES, BROADCAST_RULES, MOVEMENT_RULES, MATMUL_RULES, REDUCE_RULES, FUSED_RULES, SPARSE_RULES];
    const rules = Object.assign({}, ...tables) as Record<string, unknown>;
    const keys = tables.flatMap((t) => Object.keys(t as object));
    expect(new Set(keys).size, 'an op name is in two tables').toBe(keys.length);
    for (const [name, op] of seen) expect(op, name).toBe(rules[name] === null ? null : name);
    const recordedHere = [...seen.keys()];
    const untested = keys.filter((k) => !recordedHere.includes(k) && !['neg', 'log', 'tanh', 'erf', 'sqrt', 'recip', 'square', 'relu', 'sigmoid', 'sub', 'mul', 'div'].includes(k));
    expect(untested, 'ops this test does not record (the unary/binary ones are covered by grad.test)').toEqual([]);
    expect(be.liveBuffers()).toBe(0);
    expect(wasm.liveBuffers()).toBe(0);
    wasm.close();
  });
});

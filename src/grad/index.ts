/** Public surface of the autograd engine. */
export type { Backend, BinaryOp, DeviceBuffer, MatmulDesc, ReduceOp, UnaryOp, View } from './backend';
export { sizeOf, stridesOf } from './backend';
export { JsBackend } from './backends/js';
export { Tensor, backward, isGradEnabled, keep, noGrad, recorder, tidy, zeroGrad } from './tensor';
export type { BackwardRule, Rule, Rules } from './tensor';
export { add, addScalar, affine, detach, div, eq, erf, exp, log, mul, neg, recip, relu, scale, sigmoid, sqrt, square, step, sub, tanh } from './ops/elementwise';
export { matmul, type MatmulOptions } from './ops/matmul';
export { concat, gather, permute, reshape, slice, transpose } from './ops/movement';
export { expand, sum, sumTo } from './ops/broadcast';
export { max, mean } from './ops/reduce';
export { crossEntropy, dropout, gelu, geluComposed, geluTanh, silu, layerNorm, layerNormComposed, linear, logSoftmax, rotary, rotaryTables, softmax, softmaxComposed } from './functional';
export { AdamW, clipGradNorm, learningRate, type AdamWOptions, type Schedule, type ScheduleKind } from './optim';
export { Rng } from './rng';
export { GpuOutOfMemoryError, isGpuOutOfMemory } from './errors';

// The kernel module's exports (entry of the AssemblyScript build, see ../build.mjs).
export { unary, affine, fill, binary, strided } from './elementwise';
export { reduce, softmaxRows, normalizeRows, gather, scatterAdd } from './rows';
export { matmul, scratchBytes } from './matmul';
export { dropoutMask } from './random';
export { gelu, geluGrad } from './gelu';

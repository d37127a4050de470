// Types of kernels.gen.js, which build.mjs generates (`npm run build:wasm`): each a base64 WebAssembly module.
/** Plain SIMD128, private memory. */
export const simd: string;
/** Relaxed SIMD (FMA), private memory. */
export const relaxed: string;
/** Plain SIMD128, imports a shared memory (threads). */
export const simdShared: string;
/** Relaxed SIMD, imports a shared memory (threads). */
export const relaxedShared: string;

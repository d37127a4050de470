import { describe, expect, it } from 'vitest';
import { SMALL_MODEL_BYTES, decideAuto, isSoftwareAdapter } from './auto';

describe('honest auto', () => {
  it('never picks a software adapter (fallback flag, SwiftShader, llvmpipe)', () => {
    const swiftshader = { vendor: 'google', architecture: 'swiftshader', description: '' };
    expect(isSoftwareAdapter(swiftshader)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'mesa', architecture: '', description: 'llvmpipe (LLVM 15.0.6, 256 bits)' })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere', isFallbackAdapter: true })).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' }, true)).toBe(true);
    expect(isSoftwareAdapter({ vendor: 'nvidia', architecture: 'ampere' })).toBe(false);
    const c = decideAuto({ info: swiftshader }, 1e9);
    expect(c.backend).toBe('wasm');
    expect(c.reason).toBe('the only WebGPU adapter is a software one (google swiftshader): CPU emulation is slower than WASM');
  });

  it('no adapter: wasm, saying why', () => {
    expect(decideAuto(null, undefined, 'this browser has no WebGPU')).toEqual({ backend: 'wasm', reason: 'no WebGPU adapter (this browser has no WebGPU)' });
  });

  it('a hardware adapter: WebGPU, except below the size rule', () => {
    const gpu = { info: { vendor: 'nvidia', architecture: 'ampere' } };
    expect(decideAuto(gpu)).toEqual({ backend: 'webgpu', reason: 'hardware WebGPU adapter (nvidia ampere)' });
    expect(decideAuto(gpu, SMALL_MODEL_BYTES)).toEqual({ backend: 'webgpu', reason: 'hardware WebGPU adapter (nvidia ampere)' });
    const small = decideAuto(gpu, 4 * 2 ** 20);
    expect(small.backend).toBe('wasm');
    expect(small.reason).toBe('small model (4.0 MiB of weights < 16.0 MiB): WASM beats GPU dispatch overhead');
  });
});

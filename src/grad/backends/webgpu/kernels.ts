/**
 * The WGSL kernels of the WebGPU backend: compiled once per (kernel, entry point, pipeline constants), and
 * recorded into the backend's open compute pass (the backend decides when to submit; see `webgpu.ts`). Large 1-D dispatches are folded into 2-D grids, since each
 * grid dimension is capped at `maxComputeWorkgroupsPerDimension` (65535 by default); the kernels recompute the
 * flat index as (wid.y · nwg.x + wid.x) · WG + lid and skip indices past the end.
 */
import binarySrc from '../../kernels/binary.wgsl?raw';
import gatherSrc from '../../kernels/gather.wgsl?raw';
import matmulSrc from '../../kernels/matmul.wgsl?raw';
import reduceSrc from '../../kernels/reduce.wgsl?raw';
import rowsSrc from '../../kernels/rows.wgsl?raw';
import stridedSrc from '../../kernels/strided.wgsl?raw';
import unarySrc from '../../kernels/unary.wgsl?raw';
import type { BinaryOp, ReduceOp, UnaryOp } from '../../backend';

/** Op codes of the unary / binary / reduce kernels (the `OP` override constant). */
export const UNARY: Record<UnaryOp, number> = { neg: 0, exp: 1, log: 2, tanh: 3, erf: 4, sqrt: 5, recip: 6, relu: 7, step: 8, sigmoid: 9, square: 10 };
export const AFFINE = 11;
export const BINARY: Record<BinaryOp, number> = { add: 0, sub: 1, mul: 2, div: 3, eq: 4 };
export const REDUCE: Record<ReduceOp, number> = { sum: 0, max: 1 };
/** Matmul tiles are 64×64 (see matmul.wgsl). */
export const TILE = 64;

const sources = { binary: binarySrc, gather: gatherSrc, matmul: matmulSrc, reduce: reduceSrc, rows: rowsSrc, strided: stridedSrc, unary: unarySrc };
export type KernelFile = keyof typeof sources;

/** A compiled entry point: `file` / `entry` with pipeline-overridable constants. */
export interface KernelKey {
  file: KernelFile;
  entry: string;
  constants?: Record<string, number>;
}

/** Workgroups for a 1-D dispatch of `count` groups, as a grid that respects the per-dimension limit. */
export function grid(count: number, maxPerDim: number): [number, number, number] {
  if (count <= maxPerDim) return [count, 1, 1];
  const y = Math.ceil(count / maxPerDim);
  if (y > maxPerDim) throw new Error(`WebGpuBackend: a dispatch of ${count} workgroups exceeds the ${maxPerDim}² grid limit`);
  return [maxPerDim, y, 1];
}

export class Kernels {
  private readonly modules = new Map<KernelFile, GPUShaderModule>();
  private readonly pipelines = new Map<string, GPUComputePipeline>();

  constructor(private readonly device: GPUDevice) {}

  pipeline({ file, entry, constants = {} }: KernelKey): GPUComputePipeline {
    const key = `${file}/${entry}/${Object.entries(constants).map(([k, v]) => `${k}=${v}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (p === undefined) {
      let module = this.modules.get(file);
      if (module === undefined) {
        module = this.device.createShaderModule({ label: file, code: sources[file] });
        this.modules.set(file, module);
      }
      p = this.device.createComputePipeline({ label: key, layout: 'auto', compute: { module, entryPoint: entry, constants } });
      this.pipelines.set(key, p);
    }
    return p;
  }

  /**
   * Record one dispatch into `pass` (nothing is submitted here). `bindings[i]` is the buffer at @binding(i)
   * (undefined: the entry point does not use that binding, so its 'auto' layout has none). Returns false for an
   * empty grid (nothing recorded).
   */
  record(pass: GPUComputePassEncoder, key: KernelKey, bindings: readonly (GPUBuffer | undefined)[], groups: readonly [number, number, number]): boolean {
    if (groups[0] === 0 || groups[1] === 0 || groups[2] === 0) return false;
    const pipeline = this.pipeline(key);
    const entries: GPUBindGroupEntry[] = [];
    bindings.forEach((buffer, binding) => {
      if (buffer !== undefined) entries.push({ binding, resource: { buffer } });
    });
    const bindGroup = this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(groups[0], groups[1], groups[2]);
    return true;
  }
}

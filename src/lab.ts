/**
 * The lab page (`/lab.html`): the autograd engine and the encoders on `window.jammiLab`, so browser tests and
 * benchmarks can run them on WebGPU and on the CPU in a real page. The app does not use this page.
 */
import * as grad from './grad';
import * as safetensors from './nn/safetensors';
import { WebGpuBackend, createWebGpuBackend } from './grad/backends/webgpu';
import { conformanceCases } from './grad/conformance';

const lab = { grad, safetensors, webgpu: { createWebGpuBackend, WebGpuBackend }, conformanceCases };

declare global {
  interface Window {
    jammiLab?: typeof lab;
  }
}

window.jammiLab = lab;
document.getElementById('status')!.textContent = `ready; WebGPU ${'gpu' in navigator ? 'API present' : 'API absent'}`;

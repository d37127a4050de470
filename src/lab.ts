/**
 * The lab page (`/lab.html`): the autograd engine and the encoders on `window.jammiLab`, so browser tests and
 * benchmarks can run them on WebGPU and on the CPU in a real page. The app does not use this page.
 */
import * as grad from './grad';
import * as safetensors from './nn/safetensors';

const lab = { grad, safetensors };

declare global {
  interface Window {
    jammiLab?: typeof lab;
  }
}

window.jammiLab = lab;
document.getElementById('status')!.textContent = `ready; WebGPU ${'gpu' in navigator ? 'API present' : 'API absent'}`;

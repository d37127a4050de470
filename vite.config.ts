import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { servedModels } from './vite/models-plugin.ts';
import { offlineApp } from './vite/pwa.ts';

// Cross-origin isolation lets ONNX Runtime's WASM backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export default defineConfig({
  plugins: [react(), servedModels(process.env.JAMMI_MODELS_DIR), offlineApp()],
  server: { headers: isolation },
  preview: { headers: isolation },
  // ORT ships its own wasm/mjs loaders; pre-bundling them breaks the `?url` asset imports.
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // lab.html exposes the engine to browser tests and benchmarks; index.html is the app.
    rolldownOptions: { input: { app: 'index.html', lab: 'lab.html' } },
  },
});

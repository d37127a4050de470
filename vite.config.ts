import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';
import { onnxSchema } from './vite/onnx-schema.ts';
import { servedModels } from './vite/models-plugin.ts';
import { offlineApp } from './vite/pwa.ts';

// Cross-origin isolation lets ONNX Runtime's WASM backend use threads (SharedArrayBuffer).
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * The Content-Security-Policy of the built app and lab page: scripts only from our own origin (no inline script, no
 * eval: 'wasm-unsafe-eval' only compiles WebAssembly), workers from our origin or blob: URLs, network only to our
 * origin and the Hub (JAMMI_HUB_HOST adds other Hub-layout hosts, space-separated). Sent as a header by the preview
 * server (deploy the app with the same header); not a meta tag, which would pin the hosts at build time. The dev
 * server has none: React's fast refresh needs an inline script there.
 */
const hubHosts = ['https://huggingface.co', 'https://*.huggingface.co', 'https://*.hf.co', ...(process.env.JAMMI_HUB_HOST ?? '').split(/\s+/).filter(Boolean)];
const csp = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  `connect-src 'self' ${hubHosts.join(' ')}`,
  "img-src 'self' data: blob:",
  "style-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join('; ');

/**
 * The one exception: the lab page's test worker (`src/lab-worker.ts`) runs test functions sent as source text, by
 * design, so its script gets 'unsafe-eval' added. It serves tests and benchmarks only; the app never loads it.
 */
function labWorkerEval(): Plugin {
  return {
    name: 'jammi-lab-worker-csp',
    configurePreviewServer(server) {
      server.middlewares.use((req, res, next) => {
        if (/\/assets\/lab-worker-[^/]*\.js(\?|$)/.test(req.url ?? '')) {
          const set = res.setHeader.bind(res);
          res.setHeader = (name: string, value: number | string | readonly string[]) =>
            set(name, /^content-security-policy$/i.test(name) ? String(value).replace("script-src 'self'", "script-src 'self' 'unsafe-eval'") : value);
        }
        next();
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), servedModels(process.env.JAMMI_MODELS_DIR), offlineApp(), labWorkerEval()],
  resolve: { alias: onnxSchema.alias },
  server: { headers: isolation },
  // frame-ancestors only works as a header.
  preview: { headers: { ...isolation, 'Content-Security-Policy': `${csp}; frame-ancestors 'none'` } },
  // ORT ships its own wasm/mjs loaders; pre-bundling them breaks the `?url` asset imports.
  // The ONNX schema (static protobufjs code inside onnxruntime-web) is CommonJS: pre-bundled for the dev server.
  optimizeDeps: { exclude: ['onnxruntime-web'], include: [onnxSchema.id] },
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    chunkSizeWarningLimit: 4096,
    // lab.html exposes the engine to browser tests and benchmarks; index.html is the app.
    rolldownOptions: { input: { app: 'index.html', lab: 'lab.html' } },
  },
});

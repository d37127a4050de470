import { defineConfig } from 'vitest/config';
import { onnxSchema } from './vite/onnx-schema.ts';

// Unit tests run in Node: the ingest rules, the export formats, the autograd engine's CPU path.
// Browser-only behaviour (workers, WebGPU, the UI) is covered by Playwright under e2e/.
export default defineConfig({
  resolve: { alias: onnxSchema.alias },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
    testTimeout: 60_000,
  },
});

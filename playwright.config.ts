import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumPath } from './scripts/chromium-path.mjs';

const port = Number(process.env.JAMMI_TEST_PORT ?? 4173);

// End-to-end tests drive the built app (vite preview) in Debian's Chromium; WebGPU runs on SwiftShader there.
export default defineConfig({
  testDir: 'e2e',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list']],
  use: {
    baseURL: `http://127.0.0.1:${port}`,
    browserName: 'chromium',
    launchOptions: { executablePath: chromiumPath(), args: chromiumArgs },
    acceptDownloads: true,
    // The app registers a service worker that precaches ~33 MB; specs other than e2e/offline.spec.ts (which sets
    // 'allow') run without it, so that page.route sees every request and no test pays for the precache.
    serviceWorkers: 'block',
  },
  webServer: {
    command: `npx vite preview --host 127.0.0.1 --port ${port} --strictPort`,
    url: `http://127.0.0.1:${port}`,
    reuseExistingServer: false,
    // The tests' Hub-layout hosts listen on ephemeral loopback ports: the CSP's connect-src lets those through.
    env: { JAMMI_MODELS_DIR: process.env.JAMMI_MODELS_DIR ?? '../shared/models', JAMMI_HUB_HOST: process.env.JAMMI_HUB_HOST ?? 'http://127.0.0.1:*' },
    timeout: 60_000,
  },
});

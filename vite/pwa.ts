import { VitePWA } from 'vite-plugin-pwa';

/**
 * The installable, offline app: a Workbox service worker that precaches everything the build emits (app shell,
 * worker scripts, ONNX Runtime's and parquet-wasm's .wasm) on the first visit, and a web manifest.
 *
 * - `registerType: 'prompt'`: a new version waits until the user clicks "Reload" (src/ui/OfflineIndicator.tsx),
 *   which the app offers only when no infer or fine-tune is running.
 * - `injectRegister: false`: the app imports `virtual:pwa-register/react` itself, so no inline script is added
 *   (a strict Content-Security-Policy forbids them).
 * - COOP/COEP: precached responses are stored with the headers the server sent (vite preview sends them), so a
 *   page and workers served offline are still cross-origin isolated (WASM threads keep working).
 * - Models are not precached: served models (`/models/...`) and Hub files are kept in Cache Storage by
 *   src/infer/model-files.ts when first used, so a model used once classifies offline.
 */
export function offlineApp() {
  return VitePWA({
    registerType: 'prompt',
    injectRegister: false,
    includeAssets: ['icon.svg', 'apple-touch-icon-180x180.png'],
    manifest: {
      name: 'jammi-web — private text classification',
      short_name: 'jammi',
      description: 'Private text classification in your browser: your CSV files never leave this machine.',
      start_url: '/',
      scope: '/',
      display: 'standalone',
      background_color: '#f4f7f8',
      theme_color: '#1d4e5c',
      icons: [
        { src: 'pwa-192x192.png', sizes: '192x192', type: 'image/png' },
        { src: 'pwa-512x512.png', sizes: '512x512', type: 'image/png' },
        { src: 'pwa-512x512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        { src: 'icon.svg', sizes: 'any', type: 'image/svg+xml' },
      ],
    },
    workbox: {
      globPatterns: ['**/*.{html,js,mjs,css,wasm,svg,png,webmanifest}'],
      // NOTE: ONNX Runtime's threaded WASM is ~27 MB; Workbox's default limit (2 MiB) would silently skip it.
      maximumFileSizeToCacheInBytes: 48 * 1024 * 1024,
      navigateFallback: 'index.html',
      // Model files are never answered with the app shell.
      navigateFallbackDenylist: [/^\/models\//],
      cleanupOutdatedCaches: true,
    },
  });
}

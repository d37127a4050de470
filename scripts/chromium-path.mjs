import fs from 'node:fs';

/** Debian's Chromium (or CHROMIUM_PATH): the only browser the tests use. Playwright never downloads one. */
export function chromiumPath() {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(Boolean);
  return candidates.find((p) => fs.existsSync(p));
}

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--enable-unsafe-webgpu',
  // bench/gpu.sh adds the Vulkan flags a real GPU needs here (space-separated); empty everywhere else.
  ...(process.env.JAMMI_CHROMIUM_ARGS ?? '').split(/\s+/).filter(Boolean),
];

import { chromiumPath } from './chromium-path.mjs';

if (!chromiumPath()) {
  console.error(
    [
      'No Chromium found for the browser tests (looked at $CHROMIUM_PATH, /usr/bin/chromium, /usr/bin/chromium-browser).',
      'Install Debian\'s:   sudo apt-get update && sudo apt-get install -y chromium',
      'or point CHROMIUM_PATH at a Chromium or Chrome binary. (Do not run "npx playwright install".)',
    ].join('\n'),
  );
  process.exit(1);
}

import type { Page } from '@playwright/test';

/**
 * Collects Content-Security-Policy violations: the page's `securitypolicyviolation` events and the console's
 * "Refused to …" reports (which also come from workers). The app runs under the policy from vite.config.ts.
 */
export async function watchCsp(page: Page): Promise<{ violations(): Promise<string[]> }> {
  const seen: string[] = [];
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to (load|execute|connect|create|evaluate|compile)/i.test(m.text())) seen.push(m.text());
  });
  await page.addInitScript(() => {
    const list: string[] = ((window as unknown as { __csp: string[] }).__csp = []);
    document.addEventListener('securitypolicyviolation', (e) => list.push(`${e.effectiveDirective} blocked ${e.blockedURI}`));
  });
  return {
    async violations() {
      const inPage = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []).catch(() => []);
      return [...seen, ...inPage];
    },
  };
}

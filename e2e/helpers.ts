import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';

export const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared');
export const datasetPath = (name: string) => path.join(sharedDir, 'datasets', name);

/** Opens the app and waits until `window.jammi` is ready. */
export async function openApp(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/');
  await expect.poll(() => page.evaluate(() => Boolean(window.jammi)), { message: `window.jammi never appeared: ${errors.join('; ')}` }).toBe(true);
}

export async function readDownload(download: import('@playwright/test').Download): Promise<Buffer> {
  const file = await download.path();
  return fs.readFileSync(file);
}

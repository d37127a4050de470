import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, type Page } from '@playwright/test';

export const sharedDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared');
export const datasetPath = (name: string) => path.join(sharedDir, 'datasets', name);

/** The header and the first `n` records of sms-spam.csv as CSV text (records may span lines inside quotes). */
export function smsRows(n: number): string {
  const lines = fs.readFileSync(datasetPath('sms-spam.csv'), 'utf8').split('\n');
  const out = [lines[0]];
  // Counting unescaped quotes keeps multi-line records whole.
  let record = '';
  for (const line of lines.slice(1)) {
    record = record ? `${record}\n${line}` : line;
    if ((record.match(/"/g)?.length ?? 0) % 2 === 1) continue;
    if (record.trim()) out.push(record);
    record = '';
    if (out.length > n) break;
  }
  return out.join('\n') + '\n';
}

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

/**
 * A Hub-layout host (`/<id>/resolve/<rev>/<file>`) over ../shared/models, with CORS, on an ephemeral loopback port
 * (another origin). `requests` records every request URL; `stop` closes it.
 */
export async function hubServer() {
  const requests: string[] = [];
  const root = path.join(sharedDir, 'models');
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    const m = /^\/([^/]+)\/resolve\/[^/]+\/(.+)$/.exec(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    const file = m ? path.resolve(root, m[1], m[2]) : '';
    if (!m || !file.startsWith(root + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      return res.end('Entry not found');
    }
    res.setHeader('Content-Type', 'application/octet-stream');
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const stop = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return { host: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, stop };
}

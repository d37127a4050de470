import fs from 'node:fs';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../scripts/chromium-path.mjs';

/** Debian's Chromium, headless, with the flags the tests use. */
export async function launch() {
  const path = chromiumPath();
  if (!path) throw new Error('No Chromium: apt-get install -y chromium, or set CHROMIUM_PATH.');
  return chromium.launch({ executablePath: path, args: chromiumArgs });
}

/** Resident memory of every Chromium process below `ancestorPid` (browser, renderer, GPU, utility), in bytes. */
export function browserRss(ancestorPid) {
  let total = 0;
  const kids = (pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  };
  const stack = [ancestorPid];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
      const rss = /VmRSS:\s+(\d+) kB/.exec(status);
      if (rss && /^Name:\s+chrom/m.test(status)) total += Number(rss[1]) * 1024;
    } catch {
      continue;
    }
    stack.push(...kids(pid));
  }
  return total;
}

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

/**
 * CPU seconds (user + system, all threads) used so far by every Chromium process below `ancestorPid`: a figure
 * other jobs on the machine cannot inflate, unlike wall time. Take the difference of two readings.
 */
export function browserCpuSeconds(ancestorPid) {
  const tick = 100; // USER_HZ on Linux
  let total = 0;
  const stack = [ancestorPid];
  while (stack.length) {
    const pid = stack.pop();
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const [name, rest] = [stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), stat.slice(stat.lastIndexOf(')') + 2).split(' ')];
      // fields 14 and 15 (utime, stime) are rest[11] and rest[12]
      if (/^chrom/.test(name)) total += (Number(rest[11]) + Number(rest[12])) / tick;
      stack.push(...fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number));
    } catch {
      continue;
    }
  }
  return total;
}

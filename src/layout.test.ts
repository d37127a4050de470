/**
 * The layout check (issue #12): dependency-cruiser with the repo's `.dependency-cruiser.cjs` must find no import
 * that flows up or sideways and no cycle. A violation fails `npm test` and names the import.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = `${root}node_modules/.bin/depcruise`;

describe('one-way layout', () => {
  it('has no upward or sideways import and no cycle (dependency-cruiser)', () => {
    expect(existsSync(bin), 'dependency-cruiser is a devDependency: run npm ci').toBe(true);
    let output = '';
    let failed = false;
    try {
      output = execFileSync(bin, ['--config', '.dependency-cruiser.cjs', '--output-type', 'err', 'src', 'workers'], { cwd: root, encoding: 'utf8' });
    } catch (e) {
      failed = true;
      output = String((e as { stdout?: string }).stdout ?? e);
    }
    expect(failed ? output : '').toBe('');
    expect(output).toMatch(/no dependency violations/);
  });
});

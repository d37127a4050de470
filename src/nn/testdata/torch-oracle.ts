/**
 * Whether PyTorch (the oracle of the comparison tests) can be imported. Outside CI its absence skips those tests
 * with a message; with CI=true it fails them instead, so CI cannot go green without the PyTorch comparisons.
 */
import { spawnSync } from 'node:child_process';

export interface TorchOracle {
  python: string;
  hasTorch: boolean;
  /** Why it is absent (empty when present). */
  why: string;
}

export function torchOracle(testName: string, python = process.env.JAMMI_TORCH_PYTHON ?? '/usr/bin/python3'): TorchOracle {
  const check = spawnSync(python, ['-c', 'import torch'], { encoding: 'utf8' });
  const hasTorch = check.status === 0;
  const why = hasTorch
    ? ''
    : `PyTorch is absent: "${python} -c 'import torch'" failed (${(check.stderr || check.error?.message || `exit status ${check.status}`).trim().split('\n').pop()})`;
  if (!hasTorch && process.env.CI === 'true') {
    throw new Error(`${testName}: CI=true and ${why}. .ci/run installs python3-torch; in CI the PyTorch comparisons fail rather than skip.`);
  }
  if (!hasTorch) console.warn(`${testName}: skipping the PyTorch comparison: ${why}`);
  return { python, hasTorch, why };
}

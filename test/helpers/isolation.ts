// Container-isolation tests need root, runc, ip, iptables and nft on Linux: without
// them they skip with a printed reason, or fail when TUG_REQUIRE_ISOLATION=1
// (CI, after scripts/setup-isolation.sh). Decided once per test file, before
// its suites are collected.
import { describe } from 'vitest';
import { findExecutable } from '../../src/runtime/native/container/executables.js';

function missingPieces(): string[] {
  if (process.platform !== 'linux') return [`Linux (this is ${process.platform})`];
  const missing: string[] = [];
  if (process.getuid?.() !== 0) missing.push('root');
  for (const tool of ['runc', 'ip', 'iptables', 'nft', 'unshare', 'nsenter']) if (!findExecutable(tool)) missing.push(tool);
  return missing;
}

const missing = missingPieces();
export const isolationAvailable = missing.length === 0;

if (!isolationAvailable) {
  const reason = `container isolation needs ${missing.join(', ')} (run scripts/setup-isolation.sh as root)`;
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`${reason}, and TUG_REQUIRE_ISOLATION=1 requires it`);
  console.warn(`skipping isolation tests: ${reason}`);
}

/** `describe` that runs only where containers can be created (root, runc, ip, iptables). */
export function describeIsolation(name: string, fn: () => void): void {
  describe.skipIf(!isolationAvailable)(name, fn);
}

/** The static busybox the container tests run as their workload (package busybox-static). */
export const BUSYBOX = '/bin/busybox';

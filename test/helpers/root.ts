// Tests that set file owners (chown to other users) need root: without it they
// skip with a printed reason, or fail when TUG_REQUIRE_ISOLATION=1 (CI).
import { describe, it } from 'vitest';

export const isRoot = process.getuid?.() === 0;

if (!isRoot) {
  const reason = 'not running as root, so files cannot be given other owners';
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`${reason}, and TUG_REQUIRE_ISOLATION=1 requires root`);
  console.warn(`skipping tests that chown: ${reason}`);
}

/** `describe` that runs only as root. */
export function describeRoot(name: string, fn: () => void): void {
  describe.skipIf(!isRoot)(name, fn);
}

/** `it` that runs only as root. */
export const itRoot = it.skipIf(!isRoot);

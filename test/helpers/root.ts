// Tests that need root (mounts, device nodes, trusted.* xattrs, chown to other
// users) skip with a printed reason when not root, or fail when
// TUG_REQUIRE_ISOLATION=1 (CI), so they cannot be skipped silently there.
import { describe, it } from 'vitest';

const reason = process.getuid?.() !== 0 ? `not root (uid ${process.getuid?.()})` : undefined;
if (reason) {
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`${reason}, and TUG_REQUIRE_ISOLATION=1 requires root`);
  console.warn(`skipping root-only tests: ${reason}`);
}

export const isRoot = !reason;

/** `describe` that runs only as root. */
export function describeRoot(name: string, fn: () => void): void {
  describe.skipIf(!isRoot)(name, fn);
}

/** `it` that runs only as root. */
export const itRoot = it.skipIf(!isRoot);

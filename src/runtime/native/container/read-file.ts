// Reading a small kernel or state file that may legitimately be missing
// (/proc and /sys entries, cgroup files, tug's own records): its text, or
// undefined. The callers decide what "missing" means.
import { readFileSync } from 'node:fs';

export function readTextFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

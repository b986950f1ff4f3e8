// Builds tug-sync (sync-helper-source.ts) with the system C compiler, once per
// source version, into $TUG_HOME/lib/tug-sync-<hash of the source>: static
// when the C library allows, dynamic otherwise. Each builder compiles to a
// temporary file of its own and renames it into place, so two watches that
// build at once are both fine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { findExecutable, isExecutableFile } from '../container/executables.js';
import { SYNC_HELPER_SOURCE } from './sync-helper-source.js';

const SOURCE_HASH = createHash('sha256').update(SYNC_HELPER_SOURCE).digest('hex').slice(0, 12);

export function syncHelperPath(home: string): string {
  return join(home, 'lib', `tug-sync-${SOURCE_HASH}`);
}

/** The helper's path, built first when needed; a TugError says what is missing. */
export function ensureSyncHelper(home: string): string {
  const target = syncHelperPath(home);
  if (isExecutableFile(target)) return target;
  const cc = findExecutable('cc') ?? findExecutable('gcc');
  if (!cc) {
    throw new TugError({
      code: 'sync.no-compiler',
      message: 'cannot build tug-sync, which copies watched files into containers: no C compiler (cc)',
      hint: 'apt-get install gcc libc6-dev',
    });
  }
  const dir = join(home, 'lib');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const source = join(dir, `tug-sync-${SOURCE_HASH}.${process.pid}.c`);
  const output = `${target}.${process.pid}.tmp`;
  writeFileSync(source, SYNC_HELPER_SOURCE);
  try {
    const failure = compile(cc, ['-O2', '-static', '-s'], source, output) && compile(cc, ['-O2', '-s'], source, output);
    if (failure) {
      throw new TugError({
        code: 'sync.helper-build',
        message: `cannot build tug-sync with ${cc}: ${failure}`,
        hint: 'install the C library and kernel headers (apt-get install libc6-dev linux-libc-dev)',
      });
    }
    chmodSync(output, 0o755);
    renameSync(output, target);
  } finally {
    rmSync(source, { force: true });
    rmSync(output, { force: true });
  }
  return target;
}

/** undefined when it compiled, else the compiler's first lines. */
function compile(cc: string, flags: string[], source: string, output: string): string | undefined {
  const r = spawnSync(cc, [...flags, '-o', output, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return undefined;
  return (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' ');
}

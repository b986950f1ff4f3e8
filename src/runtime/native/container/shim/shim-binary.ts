// Builds tug-shim from its C source with the system C compiler, once per
// source version, into $TUG_HOME/lib/tug-shim-<hash of the source>. Static when
// the C library allows it (smaller resident set, no loader), dynamic otherwise.
// Concurrent builders are safe: each compiles to its own temporary file and
// renames it into place atomically.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../../../core/errors.js';
import { findExecutable, isExecutableFile } from '../executables.js';
import { SHIM_SOURCE } from './shim-source.js';

const SOURCE_HASH = createHash('sha256').update(SHIM_SOURCE).digest('hex').slice(0, 12);

export function shimPath(home: string): string {
  return join(home, 'lib', `tug-shim-${SOURCE_HASH}`);
}

export function shimBuilt(home: string): boolean {
  return isExecutableFile(shimPath(home));
}

/** The shim's path, building it first when needed; throws a TugError naming what is missing. */
export function ensureShim(home: string): string {
  const target = shimPath(home);
  if (isExecutableFile(target)) return target;
  const cc = findExecutable('cc') ?? findExecutable('gcc');
  if (!cc) {
    throw new TugError({
      code: 'container.no-compiler',
      message: 'cannot build tug-shim, the process that supervises each container: no C compiler (cc)',
      hint: 'apt-get install gcc libc6-dev',
    });
  }
  const dir = join(home, 'lib');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const source = join(dir, `tug-shim-${SOURCE_HASH}.${process.pid}.c`);
  const output = `${target}.${process.pid}.tmp`;
  writeFileSync(source, SHIM_SOURCE);
  try {
    let failure = compile(cc, ['-O2', '-static', '-s'], source, output);
    if (failure) failure = compile(cc, ['-O2', '-s'], source, output);
    if (failure) {
      throw new TugError({
        code: 'container.shim-build',
        message: `cannot build tug-shim with ${cc}: ${failure}`,
        hint: 'install the C library headers (apt-get install libc6-dev)',
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

function compile(cc: string, flags: string[], source: string, output: string): string | undefined {
  const r = spawnSync(cc, [...flags, '-o', output, source], { encoding: 'utf8', timeout: 60_000 });
  if (r.status === 0) return undefined;
  return (r.stderr || r.error?.message || `exit ${r.status}`).trim().split('\n').slice(0, 3).join(' ');
}

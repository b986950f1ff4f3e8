// tug's small C programs (the shim that supervises a container, the helper
// that writes watched files into one) built with the system C compiler, once
// per source version, into $TUG_HOME/lib/<name>-<hash of the source>: static
// when the C library allows it (smaller resident set, no loader), dynamic
// otherwise. Each builder compiles to a temporary file of its own and renames
// it into place, so builders running at once are all fine.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { findExecutable, isExecutableFile } from './executables.js';

export interface CTool {
  /** The file name's stem: tug-shim, tug-sync. */
  name: string;
  source: string;
  /** What it is for, in the error when it cannot be built ("the process that supervises each container"). */
  purpose: string;
  /** Error codes: no compiler, and a failed compile. */
  codes: { noCompiler: string; build: string };
  /** The hint when the compile fails (which headers it needs). */
  buildHint: string;
}

const hashes = new WeakMap<CTool, string>();

function sourceHash(tool: CTool): string {
  let hash = hashes.get(tool);
  if (!hash) hashes.set(tool, (hash = createHash('sha256').update(tool.source).digest('hex').slice(0, 12)));
  return hash;
}

export function cToolPath(home: string, tool: CTool): string {
  return join(home, 'lib', `${tool.name}-${sourceHash(tool)}`);
}

/** The tool's path, built first when needed; a TugError says what is missing. */
export function ensureCTool(home: string, tool: CTool): string {
  const target = cToolPath(home, tool);
  if (isExecutableFile(target)) return target;
  const cc = findExecutable('cc') ?? findExecutable('gcc');
  if (!cc) {
    throw new TugError({ code: tool.codes.noCompiler, message: `cannot build ${tool.name}, ${tool.purpose}: no C compiler (cc)`, hint: 'apt-get install gcc libc6-dev' });
  }
  const dir = join(home, 'lib');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const source = join(dir, `${tool.name}-${sourceHash(tool)}.${process.pid}.c`);
  const output = `${target}.${process.pid}.tmp`;
  writeFileSync(source, tool.source);
  try {
    const failure = compile(cc, ['-O2', '-static', '-s'], source, output) && compile(cc, ['-O2', '-s'], source, output);
    if (failure) throw new TugError({ code: tool.codes.build, message: `cannot build ${tool.name} with ${cc}: ${failure}`, hint: tool.buildHint });
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

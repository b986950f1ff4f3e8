// Finding the host tools the container runtime drives (runc, ip, iptables,
// tini-static, cc). Root's tools live in sbin directories that an ordinary
// user's PATH often lacks, so those are searched after PATH. Only absolute,
// executable regular files are returned: the runtime never runs a name that
// PATH resolution could swap for something else later.
import { accessSync, constants, statSync } from 'node:fs';
import { execFile, spawnSync } from 'node:child_process';
import { delimiter, isAbsolute, join } from 'node:path';

const SYSTEM_DIRS = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function isExecutableFile(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, then in the system directories. */
export function findExecutable(name: string, path: string | undefined = process.env.PATH): string | undefined {
  const dirs = [...(path ?? '').split(delimiter).filter((d) => isAbsolute(d)), ...SYSTEM_DIRS];
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** The first line of `file args` (stdout, else stderr), or undefined when it fails to run. */
export function firstOutputLine(file: string, args: string[], timeoutMs = 5_000): string | undefined {
  const r = spawnSync(file, args, { encoding: 'utf8', timeout: timeoutMs, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) return undefined;
  return firstLine(r.stdout || r.stderr || '');
}

/** firstOutputLine without blocking: probes that run together take as long as the slowest, not their sum. */
export function firstOutputLineAsync(file: string, args: string[], timeoutMs = 5_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(file, args, { encoding: 'utf8', timeout: timeoutMs }, (err, stdout, stderr) => resolve(err ? undefined : firstLine(stdout || stderr || '')));
  });
}

function firstLine(output: string): string | undefined {
  const text = output.trim();
  return text === '' ? undefined : text.split('\n')[0]!.trim();
}

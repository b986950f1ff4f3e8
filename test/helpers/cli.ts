// Runs the built CLI the way a user would (package.json's `bin`: the bundle in
// dist/bundle/, so a bundling mistake fails the CLI tests), and captures what it prints.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: { tug: string } };
export const tugBin = join(repoRoot, pkg.bin.tug);

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function tug(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): CliResult {
  // `--` as the bin's shebang has it: Node 20 would otherwise take tug's --env-file for its own.
  const r = spawnSync(process.execPath, ['--', tugBin, ...args], {
    cwd: opts.cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...opts.env },
    input: opts.input,
    encoding: 'utf8',
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const madeDirs: string[] = [];
// Every directory tempDir made goes when the test file ends: a test leaves nothing in /tmp.
afterAll(() => {
  for (const dir of madeDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the system's temp dir, removed when the test file ends. */
export function tempDir(prefix = 'tug-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  madeDirs.push(dir);
  return dir;
}

/** A temporary directory holding the given files (paths relative to it), removed when the test file ends. */
export function tempProject(files: Record<string, string>, prefix = 'tug-test-'): string {
  const dir = tempDir(prefix);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
  return dir;
}

// The bundled CLI keeps V8's compiled code between runs (scripts/bundle-boot.cjs).
// What a user must be able to rely on: a cache only they can write, a rebuilt
// tug never running the old build's code, a damaged cache costing nothing but
// time, and TUG_NO_CODE_CACHE=1 leaving nothing behind.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, readdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, tempDir, tempProject } from '../helpers/cli.js';

/** A copy of dist/bundle/ (and package.json) of its own, so a test may edit it. */
function bundleCopy(): { bin: string; cli: string } {
  const dir = tempDir('tug-cache-pkg-');
  cpSync(join(repoRoot, 'dist', 'bundle'), join(dir, 'dist', 'bundle'), { recursive: true });
  cpSync(join(repoRoot, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'));
  const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: { tug: string } };
  return { bin: join(dir, pkg.bin.tug), cli: join(dir, 'dist', 'bundle', 'cli.cjs') };
}

const project = tempProject({ 'compose.yaml': 'services:\n  web:\n    image: nginx:1.27\n' });
const home = tempDir('tug-cache-home-');

function run(bin: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, ['--', bin, ...args], {
    cwd: project,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', TUG_HOME: home, ...env },
    encoding: 'utf8',
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const cacheFiles = (cacheHome: string) => {
  const dir = join(cacheHome, 'tug', 'v8');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

it('writes the cache under XDG_CACHE_HOME, readable by the user alone, once per command', () => {
  const { bin } = bundleCopy();
  const cacheHome = tempDir('tug-cache-');
  expect(run(bin, ['config', '--services'], { XDG_CACHE_HOME: cacheHome })).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
  const files = cacheFiles(cacheHome);
  expect(files).toHaveLength(2);
  const [data, covered] = files.map((f) => join(cacheHome, 'tug', 'v8', f));
  expect(statSync(join(cacheHome, 'tug', 'v8')).mode & 0o777).toBe(0o700);
  expect(statSync(data!).mode & 0o777).toBe(0o600);
  expect(statSync(data!).size).toBeGreaterThan(10_000);
  expect(readFileSync(covered!, 'utf8')).toBe('config\n');
  // The same command again reads the cache and leaves it as it was; another command adds itself.
  const before = statSync(data!).mtimeMs;
  expect(run(bin, ['config', '--services'], { XDG_CACHE_HOME: cacheHome }).stdout).toBe('web\n');
  expect(statSync(data!).mtimeMs).toBe(before);
  expect(run(bin, ['ls'], { XDG_CACHE_HOME: cacheHome }).code).toBe(0);
  expect(readFileSync(covered!, 'utf8')).toBe('config\nls\n');
});

it('never runs a cache made for an earlier build of the bundle, even one of the same length', () => {
  const { bin, cli } = bundleCopy();
  const cacheHome = tempDir('tug-cache-');
  expect(run(bin, ['--help'], { XDG_CACHE_HOME: cacheHome }).stdout).toContain('validate and print the resolved project');
  expect(run(bin, ['--help'], { XDG_CACHE_HOME: cacheHome }).stdout).toContain('validate and print the resolved project');
  const [old] = cacheFiles(cacheHome);
  // A rebuild that changes one description (same length: V8's own check compares only the length).
  const source = readFileSync(cli, 'utf8');
  writeFileSync(cli, source.replace('validate and print the resolved project', 'VALIDATE and print the resolved project'));
  utimesSync(cli, new Date(), new Date(Date.now() + 5_000));
  const help = run(bin, ['--help'], { XDG_CACHE_HOME: cacheHome });
  expect(help.stdout).toContain('VALIDATE and print the resolved project');
  // The old build's cache is gone, replaced by the new one's.
  expect(cacheFiles(cacheHome)).not.toContain(old);
  expect(cacheFiles(cacheHome)).toHaveLength(2);
});

it('runs correctly from a damaged cache and replaces it', () => {
  const { bin } = bundleCopy();
  const cacheHome = tempDir('tug-cache-');
  run(bin, ['config', '--services'], { XDG_CACHE_HOME: cacheHome });
  const data = join(cacheHome, 'tug', 'v8', cacheFiles(cacheHome)[0]!);
  const garbage = Buffer.alloc(statSync(data).size, 0x5a);
  writeFileSync(data, garbage);
  expect(run(bin, ['config', '--services'], { XDG_CACHE_HOME: cacheHome })).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
  expect(readFileSync(data).equals(garbage)).toBe(false);
});

it('neither reads nor writes a cache directory others can write to, and TUG_NO_CODE_CACHE=1 writes none', () => {
  const { bin } = bundleCopy();
  const shared = tempDir('tug-cache-');
  run(bin, ['config', '--services'], { XDG_CACHE_HOME: shared });
  const dir = join(shared, 'tug', 'v8');
  const data = join(dir, cacheFiles(shared)[0]!);
  chmodSync(dir, 0o777);
  // Whatever another user might have put there is not read: the run is right, and nothing is written.
  writeFileSync(data, Buffer.alloc(statSync(data).size, 0x5a));
  const before = statSync(data).mtimeMs;
  expect(run(bin, ['config', '--services'], { XDG_CACHE_HOME: shared })).toEqual({ code: 0, stdout: 'web\n', stderr: '' });
  expect(run(bin, ['ls'], { XDG_CACHE_HOME: shared }).code).toBe(0);
  expect(statSync(data).mtimeMs).toBe(before);

  const off = tempDir('tug-cache-');
  expect(run(bin, ['config', '--services'], { XDG_CACHE_HOME: off, TUG_NO_CODE_CACHE: '1' }).stdout).toBe('web\n');
  expect(cacheFiles(off)).toEqual([]);
});

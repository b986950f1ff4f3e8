// Process-mode sync on a real file system: copies land inside the project and
// nowhere else, whatever symlinks the tree holds.
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideHostSync, syncOnHost } from '../../src/runtime/watch/host-sync.js';

let root: string;
let project: string;
let outside: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'tug-hostsync-'));
  project = join(root, 'proj');
  outside = join(root, 'elsewhere');
  mkdirSync(join(project, 'src', 'lib'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(project, 'src', 'index.js'), 'v2\n');
  writeFileSync(join(project, 'src', 'lib', 'util.js'), 'util\n');
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const rule = (target: string) => ({ service: 'web', index: 0, rule: { path: join(project, 'src'), action: 'sync' as const, target } });

describe('process-mode sync on the host', () => {
  it('decides from the real file system: inside, outside, through a symlink, in place', async () => {
    symlinkSync(outside, join(project, 'out'));
    expect((await decideHostSync(rule('www'), project)).kind).toBe('copy');
    expect((await decideHostSync(rule('/app'), project)).kind).toBe('refused');
    const through = await decideHostSync(rule('out/www'), project);
    expect(through.kind === 'refused' && through.error.message).toContain('symlink');
    expect((await decideHostSync(rule('./src'), project)).kind).toBe('in-place');
  });

  it('copies new and changed files with their directories and mode, and removes deleted ones', async () => {
    mkdirSync(join(project, 'www'));
    writeFileSync(join(project, 'www', 'stale.js'), 'stale\n');
    const result = await syncOnHost(
      [
        { hostPath: join(project, 'src', 'index.js'), target: 'www/index.js', rel: 'index.js' },
        { hostPath: join(project, 'src', 'lib', 'util.js'), target: 'www/lib/util.js', rel: 'lib/util.js' },
        { hostPath: join(project, 'src', 'stale.js'), target: 'www/stale.js', rel: 'stale.js' },
      ],
      project,
    );
    expect(result).toMatchObject({ copied: 2, removed: 1, errors: [] });
    expect(readFileSync(join(project, 'www', 'index.js'), 'utf8')).toBe('v2\n');
    expect(readFileSync(join(project, 'www', 'lib', 'util.js'), 'utf8')).toBe('util\n');
    expect(existsSync(join(project, 'www', 'stale.js'))).toBe(false);
    expect(statSync(join(project, 'www', 'index.js')).mode & 0o777).toBe(statSync(join(project, 'src', 'index.js')).mode & 0o777);
  });

  it('never writes through a symlink out of the project, in the target tree or at the destination', async () => {
    mkdirSync(join(project, 'www'));
    writeFileSync(join(outside, 'victim.js'), 'untouched\n');
    symlinkSync(outside, join(project, 'www', 'lib'));
    symlinkSync(join(outside, 'victim.js'), join(project, 'www', 'index.js'));
    const result = await syncOnHost(
      [
        { hostPath: join(project, 'src', 'lib', 'util.js'), target: 'www/lib/util.js', rel: 'lib/util.js' },
        { hostPath: join(project, 'src', 'index.js'), target: 'www/index.js', rel: 'index.js' },
      ],
      project,
    );
    expect(result.copied).toBe(1);
    expect(result.errors.map((e) => e.code)).toEqual(['watch.sync-outside-project']);
    expect(existsSync(join(outside, 'util.js'))).toBe(false);
    expect(readFileSync(join(outside, 'victim.js'), 'utf8')).toBe('untouched\n');
    expect(lstatSync(join(project, 'www', 'index.js')).isSymbolicLink()).toBe(false);
    expect(readFileSync(join(project, 'www', 'index.js'), 'utf8')).toBe('v2\n');
  });

  it('refuses to remove the project directory itself', async () => {
    const result = await syncOnHost([{ hostPath: join(root, 'gone'), target: '.', rel: '' }], project);
    expect(result.errors.map((e) => e.code)).toEqual(['watch.sync-outside-project']);
    expect(existsSync(join(project, 'src', 'index.js'))).toBe(true);
  });
});

// `tug doctor` and `tug info`: the capability report a user reads before
// asking for containers, checked against what this machine really has.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot, tug, tugBin } from '../helpers/cli.js';
import { tempHome } from '../helpers/native-env.js';
import { rmSync } from 'node:fs';
import { findExecutable } from '../../src/runtime/native/container/executables.js';

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function home(): string {
  const h = tempHome();
  homes.push(h);
  return h;
}

interface InfoJson {
  version: string;
  home: string;
  containers: { available: boolean; runtime?: string; missing: string[] };
  cgroups: { layout: string };
  capabilities: { id: string; status: string; detail: string; fix?: string }[];
}

describe('tug doctor and tug info', () => {
  it('info --format json reports the state directory, the cgroup layout and whether containers work here', () => {
    const h = home();
    const r = tug(['info', '--format', 'json'], { cwd: repoRoot, env: { TUG_HOME: h } });
    expect(r.code).toBe(0);
    const info = JSON.parse(r.stdout) as InfoJson;
    expect(info.home).toBe(h);
    expect(info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(['v1', 'v2', 'hybrid', 'none']).toContain(info.cgroups.layout);
    const runc = findExecutable('runc');
    const root = process.getuid?.() === 0;
    expect(info.containers.available).toBe(process.platform === 'linux' && root && runc !== undefined);
    if (runc) expect(info.capabilities.find((c) => c.id === 'runc')?.detail).toContain(runc);
  });

  it('doctor prints one line per capability and the verdict, and exits 0', () => {
    const r = tug(['doctor'], { cwd: repoRoot, env: { TUG_HOME: home() } });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/OCI runtime/);
    expect(r.stdout).toMatch(/cgroups/);
    expect(r.stdout).toMatch(/^container isolation: (available|unavailable)/m);
  });

  it.skipIf(process.getuid?.() !== 0 || !findExecutable('setpriv'))('doctor run by an unprivileged user says what that costs and how to fix it', () => {
    const r = spawnSync(findExecutable('setpriv')!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, tugBin, 'doctor'], {
      cwd: '/',
      env: { PATH: process.env.PATH ?? '', TUG_HOME: '/nonexistent/tug-home', NO_COLOR: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('not root (uid 65534)');
    expect(r.stdout).toContain('fix:   run tug as root');
    expect(r.stdout).toMatch(/container isolation: unavailable, missing root privileges/);
  });
});

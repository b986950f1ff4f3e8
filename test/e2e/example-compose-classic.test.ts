// examples/compose-classic as its README runs it, on the native backend: the
// base image loaded from the archive make-base.sh writes, `up --build` builds
// `web` with tug's own builder and runs both services in containers; the page
// asks `redis` by its link name; an unchanged `up --build` touches nothing; a
// changed context file rebuilds and recreates `web` only; `down` leaves nothing.
import { execFileSync } from 'node:child_process';
import { appendFileSync, cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { repoRoot, tempDir, tug } from '../helpers/cli.js';
import { httpGet, leftovers } from '../helpers/container-cli.js';
import { describeIsolation } from '../helpers/isolation.js';
import { freePort, tempHome, destroyHome, uniqueProject } from '../helpers/native-env.js';
import { Ledger } from '../../src/runtime/native/container/ledger.js';
import { ledgerPath } from '../../src/runtime/native/engine/container-host.js';

const cleanup: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanup.splice(0)) c();
});

describeIsolation('examples/compose-classic on the native backend', () => {
  it('builds web, links it to redis, rebuilds only what changed, and leaves nothing after down', async () => {
    const home = tempHome();
    const dir = tempDir('tug-classic-');
    cleanup.push(() => destroyHome(home));
    cpSync(join(repoRoot, 'examples/compose-classic'), dir, { recursive: true });
    const port = await freePort();
    const compose = join(dir, 'compose.yaml');
    writeFileSync(compose, readFileSync(compose, 'utf8').replace('"5000:5000"', `"127.0.0.1:${port}:5000"`));
    const project = uniqueProject('cc');
    const run = (...args: string[]) => {
      const r = tug(['-p', project, ...args], { cwd: dir, env: { TUG_HOME: home } });
      if (r.code !== 0) throw new Error(`tug ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
      return r;
    };
    const pids = () =>
      Object.fromEntries(
        run('ps', '--format', 'json')
          .stdout.trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { Service: string; Pid: number })
          .map((r) => [r.Service, r.Pid]),
      );

    execFileSync(join(dir, 'make-base.sh'), [join(dir, 'busybox-base.tar')], { stdio: 'ignore' });
    run('image', 'load', '-i', join(dir, 'busybox-base.tar'));
    expect(run('up', '--build', '-d', '--wait').stderr).toMatch(/web built sha256:[0-9a-f]{12}/);
    expect(await httpGet(port, '/cgi-bin/hits')).toBe('Hello from tug! I have been seen 1 times.');
    expect(await httpGet(port, '/cgi-bin/hits')).toBe('Hello from tug! I have been seen 2 times.');

    const before = pids();
    expect(run('up', '--build', '-d').stderr).toContain('(3 of 3 steps cached)');
    expect(pids()).toEqual(before);

    appendFileSync(join(dir, 'web', 'index.html'), '<p>changed</p>\n');
    run('up', '--build', '-d', '--wait', '-t', '1');
    const after = pids();
    expect(after.redis).toBe(before.redis);
    expect(after.web).not.toBe(before.web);
    expect(await httpGet(port, '/')).toContain('changed');

    const recorded = Ledger.read(ledgerPath(home, project));
    run('down', '-t', '1');
    expect(await leftovers(home, project, recorded)).toEqual([]);
  }, 180_000);
});

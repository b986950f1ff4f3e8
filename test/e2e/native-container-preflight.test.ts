// Container mode refused before anything starts, through the built CLI: with
// the OCI runtime absent (TUG_OCI_RUNTIME naming a file that is not there, so
// neither PATH nor the system directories are consulted) a service that must
// run as a container fails with what is missing and how to get it, exit 1,
// and leaves nothing; under `auto` a service without an image still runs, as
// a host process.
import { expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { leftovers, type PsJson } from '../helpers/container-cli.js';
import { describeIsolation } from '../helpers/isolation.js';
import { isAlive, tempHomes, uniqueProject } from '../helpers/native-env.js';

const NO_RUNTIME = '/nonexistent/tug-test/runc';
const home = tempHomes();

function project(compose: string) {
  const dir = tempProject({ 'compose.yaml': compose }, 'tug-preflight-');
  const h = home();
  const name = uniqueProject('pf');
  const run = (args: string[]) => tug(['-p', name, ...args], { cwd: dir, env: { TUG_HOME: h, TUG_OCI_RUNTIME: NO_RUNTIME } });
  const rows = (): PsJson[] => run(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsJson);
  return { home: h, name, run, rows };
}

describeIsolation('native containers: no OCI runtime', () => {
  it('refuses services that must be containers before anything starts, naming runc and its package; leaves nothing', async () => {
    const p = project(`
services:
  web:
    command: ["/bin/busybox", "sleep", "600"]
  db:
    command: ["/bin/busybox", "sleep", "600"]
volumes:
  data: {}
`);
    const r = p.run(['--isolation', 'container', 'up', '-d']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/services (web, db|db, web) must run as containers/);
    expect(r.stderr).toContain('missing an OCI runtime (runc)');
    expect(r.stderr).toContain('apt-get install runc');
    expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
    expect(p.rows()).toEqual([]);
    expect(await leftovers(p.home, p.name, [])).toEqual([]);
    // doctor says why.
    expect(p.run(['doctor']).stdout).toContain(`TUG_OCI_RUNTIME=${NO_RUNTIME} is not an executable runc or crun`);
  }, 60_000);

  it('under auto, a service without an image still runs, as a host process', async () => {
    const p = project(`
services:
  web:
    command: ["/bin/busybox", "sleep", "600"]
`);
    const r = p.run(['up', '-d']);
    expect(r.code, r.stderr).toBe(0);
    const [row] = p.rows();
    expect(row).toMatchObject({ Service: 'web', State: 'running' });
    expect(isAlive(row!.Pid)).toBe(true);
    expect(p.run(['down', '-t', '0']).code).toBe(0);
    expect(isAlive(row!.Pid)).toBe(false);
  }, 60_000);
});

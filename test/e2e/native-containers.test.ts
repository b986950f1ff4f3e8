// Container mode end to end through the built CLI (`--isolation container`):
// what a user notices of the isolation (own processes, hostname, filesystem,
// volumes at their targets), names that follow scale, a published port spread
// over the healthy replicas, limits that hold, and a `down` (or an engine
// killed with -9) that leaves nothing on the machine. Only 127.0.0.1 and
// addresses on the bridges these tests create are contacted.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { expect, it } from 'vitest';
import { dnatTableName } from '../../src/runtime/native/container/names.js';
import { tugBin } from '../helpers/cli.js';
import { containerProject, httpGet, leftovers } from '../helpers/container-cli.js';
import { describeIsolation } from '../helpers/isolation.js';
import { isAlive, until } from '../helpers/native-env.js';

const HTTPD = ['/bin/busybox', 'sh', '-c', 'mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec busybox httpd -f -p 8080 -h /tmp/www'];

const WEB_PROJECT = `
services:
  web:
    command: ${JSON.stringify(HTTPD)}
    init: true
    deploy: {replicas: 3}
    ports: ["127.0.0.1::8080"]
    healthcheck: {test: ["CMD", "/bin/busybox", "test", "-f", "/tmp/www/index.html"], interval: 200ms, retries: 1, start_period: 60s, start_interval: 200ms}
    volumes: ["data:/data"]
  client:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    links: ["web:www"]
    volumes: ["data:/shared", "./ro:/ro:ro"]
volumes:
  data: {}
`;

function addressesOf(lookup: string): string[] {
  return [...lookup.matchAll(/Address(?: \d+)?:\s+(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]!).filter((a) => !a.endsWith('.1'));
}

describeIsolation('native container mode through the CLI', () => {
  it('isolates replicas, shares volumes at their targets, resolves names as scale changes, balances the port over healthy replicas, and down leaves nothing', async () => {
    const p = containerProject(WEB_PROJECT, { 'ro/file': 'read only\n' });
    p.ok(['up', '-d', '--wait']);
    const rows = p.rows();
    expect(rows.map((r) => r.Name).sort()).toEqual([`${p.project}-client-1`, `${p.project}-web-1`, `${p.project}-web-2`, `${p.project}-web-3`]);
    for (const r of rows) expect(Object.values(r.Addresses ?? {})[0]).toMatch(/^\d+\.\d+\.\d+\.\d+$/);

    // Its own processes only (tini and sleep, and the ps), its own hostname.
    const procs = p.ok(['exec', 'client', '/bin/busybox', 'sh', '-c', 'ls /proc | grep -c "^[0-9]"']).trim();
    expect(Number(procs)).toBeLessThan(8);
    expect(p.ok(['exec', 'web', '/bin/busybox', 'hostname']).trim()).toBe(`${p.project}-web-1`);

    // Writes outside volumes stay in the replica; the host's root is read-only; :ro holds.
    const probe = `/tmp/${p.project}-probe`;
    p.ok(['exec', 'client', '/bin/busybox', 'sh', '-c', `echo inside > ${probe}`]);
    expect(existsSync(probe)).toBe(false);
    expect(p.run(['exec', 'client', '/bin/busybox', 'sh', '-c', `echo x > /usr/${p.project}`]).code).not.toBe(0);
    expect(p.run(['exec', 'client', '/bin/busybox', 'sh', '-c', 'echo x > /ro/file']).code).not.toBe(0);
    expect(p.ok(['exec', 'client', '/bin/busybox', 'cat', '/ro/file'])).toBe('read only\n');

    // One volume, two services, two target paths.
    p.ok(['exec', 'client', '/bin/busybox', 'sh', '-c', 'echo shared > /shared/note']);
    expect(p.ok(['exec', 'web', '/bin/busybox', 'cat', '/data/note'])).toBe('shared\n');

    // The service name gives every replica, the links alias too; scale is followed at once.
    const lookup = () => addressesOf(p.ok(['exec', 'client', '/bin/busybox', 'nslookup', 'web']));
    expect(lookup().sort()).toEqual(rows.filter((r) => r.Service === 'web').map((r) => Object.values(r.Addresses!)[0]!).sort());
    expect(addressesOf(p.ok(['exec', 'client', '/bin/busybox', 'nslookup', 'www']))).toHaveLength(3);
    expect(p.ok(['exec', 'client', '/bin/busybox', 'wget', '-q', '-O', '-', 'http://www:8080/']).trim()).toMatch(new RegExp(`^${p.project}-web-\\d$`));

    // One published port for all three, round-robin; an unhealthy replica gets no traffic.
    const port = Number(p.ok(['port', 'web', '8080']).trim().split(':')[1]);
    expect(p.ok(['port', 'web', '8080', '--index', '3']).trim()).toBe(`127.0.0.1:${port}`);
    const answers = new Set<string>();
    for (let i = 0; i < 6; i++) answers.add(await httpGet(port));
    expect(answers.size).toBe(3);
    p.ok(['exec', '--index', '2', 'web', '/bin/busybox', 'rm', '/tmp/www/index.html']);
    await until(() => p.rows().find((r) => r.Name === `${p.project}-web-2`)?.Health === 'unhealthy', 'web-2 to turn unhealthy');
    const after = new Set<string>();
    for (let i = 0; i < 6; i++) after.add(await httpGet(port));
    expect(after).toEqual(new Set([`${p.project}-web-1`, `${p.project}-web-3`]));

    p.ok(['up', '-d', '--scale', 'web=1']);
    expect(lookup()).toHaveLength(1);
    p.ok(['up', '-d', '--scale', 'web=2']);
    await until(() => lookup().length === 2, 'the new replica to resolve');

    const recorded = p.recorded();
    const pids = p.rows().map((r) => r.Pid).filter((pid) => pid > 0);
    expect(recorded.some((e) => e.kind === 'link')).toBe(true);
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    rmSync(probe, { force: true });
  }, 120_000);

  it('keeps networks apart, gives an internal one no route out, and joins several networks', async () => {
    const p = containerProject(`
services:
  front:
    command: ${JSON.stringify(HTTPD)}
    init: true
    networks: [outside]
  back:
    command: ${JSON.stringify(HTTPD)}
    init: true
    networks: [inside]
  both:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    networks: [outside, inside]
networks:
  outside: {}
  inside: {internal: true}
`);
    p.ok(['up', '-d']);
    const rows = p.rows();
    const addr = (service: string) => Object.values(rows.find((r) => r.Service === service)!.Addresses!);
    expect(addr('both')).toHaveLength(2);
    const wget = (from: string, to: string) => p.run(['exec', from, '/bin/busybox', 'timeout', '3', '/bin/busybox', 'wget', '-q', '-O', '-', `http://${to}:8080/`]);
    await until(() => wget('both', 'front').code === 0, 'front to answer');
    expect(wget('both', 'back').stdout.trim()).toBe(`${p.project}-back-1`);
    // Another network's replica: not by name, not by address.
    expect(wget('front', 'back').code).not.toBe(0);
    expect(wget('front', addr('back')[0]!).code).not.toBe(0);
    // Internal: no default route; the outside network has one.
    expect(p.ok(['exec', 'back', '/bin/busybox', 'ip', 'route'])).not.toContain('default');
    expect(p.ok(['exec', 'front', '/bin/busybox', 'ip', 'route'])).toContain('default');
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('reports an OOM kill as exit 137 in ps, holds a pids limit, and restarts by policy', async () => {
    const p = containerProject(`
services:
  hog:
    command: ["/bin/busybox", "tail", "-c", "200000000", "/dev/zero"]
    mem_limit: 16m
    memswap_limit: 16m
  forker:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    pids_limit: 8
  flaky:
    command: ["/bin/busybox", "sh", "-c", "echo run; exit 3"]
    restart: on-failure:2
`);
    p.ok(['up', '-d']);
    const hog = await until(() => p.rows().find((r) => r.Service === 'hog' && r.State === 'exited'), 'the hog to be killed', 30_000);
    expect(hog.ExitCode).toBe(137);
    expect(hog.Notes).toContain('OOM killed');
    expect(p.ok(['ps', '-a'])).toMatch(/Exited \(137\).*OOM killed/);
    const forks = p.run(['exec', 'forker', '/bin/busybox', 'sh', '-c', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do /bin/busybox sleep 1 & done; wait']);
    expect(forks.stderr + forks.stdout).toMatch(/fork|Resource temporarily unavailable/i);
    // An exec'd command ends with its replica.
    const exec = spawn(process.execPath, [tugBin, '-p', p.project, '--isolation', 'container', 'exec', 'forker', '/bin/busybox', 'sleep', '300'], { cwd: p.dir, env: { ...process.env, TUG_HOME: p.home }, stdio: 'ignore' });
    const execEnded = new Promise<number | null>((resolve) => exec.once('exit', (code) => resolve(code)));
    // An exec (runc's own threads) counts against pids_limit too: while the fork test's sleeps live, it may be refused; ask again.
    await until(() => p.run(['exec', 'forker', '/bin/busybox', 'ps']).stdout.includes('sleep 300'), 'the exec to run');
    p.ok(['stop', 'forker']);
    expect(await execEnded).toBe(137);
    const flaky = await until(() => p.rows().find((r) => r.Service === 'flaky' && r.State === 'exited'), 'flaky to give up', 30_000);
    expect(flaky.ExitCode).toBe(3);
    expect(p.ok(['logs', 'flaky']).match(/run/g)).toHaveLength(3);
    const recorded = p.recorded();
    p.ok(['down']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('leaves nothing running when the engine is killed with -9, and the next command cleans up', async () => {
    const p = containerProject(`
services:
  web:
    command: ${JSON.stringify(HTTPD)}
    deploy: {replicas: 2}
    ports: ["127.0.0.1::8080"]
`);
    p.ok(['up', '-d']);
    const pids = p.rows().map((r) => r.Pid);
    const recorded = p.recorded();
    // The port is forwarded in the kernel: a table the dead engine cannot remove itself.
    expect(recorded.filter((e) => e.kind === 'nft-table')).toHaveLength(1);
    const engine = Number(readFileSync(`${p.home}/projects/${p.project}/engine.pid`, 'utf8').trim().split(/\s/)[0]);
    process.kill(engine, 'SIGKILL');
    await until(() => pids.every((pid) => !isAlive(pid)), 'the replicas to die with their engine', 5_000);
    const after = p.rows();
    expect(after.every((r) => r.State === 'exited' && r.ExitCode === 137)).toBe(true);
    p.ok(['down']);
    // The next command's engine swept what the dead one recorded (leftovers checks the bridges' iptables rules too).
    expect(execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' })).not.toContain(dnatTableName(p.home, p.project));
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 60_000);
});

// tug's container runtime pieces together, with real runc, real namespaces and
// cgroups, the host's root read-only, and the static busybox as the workload.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { readCgroupSample } from '../../src/runtime/native/container/cgroups/cgroup-files.js';
import { Ledger } from '../../src/runtime/native/container/ledger.js';
import { sweep } from '../../src/runtime/native/container/sweep.js';
import { ContainerLab, collect, isProcessAlive } from '../helpers/containers.js';
import { repoRoot } from '../helpers/cli.js';
import { until } from '../helpers/native-env.js';
import { describeIsolation } from '../helpers/isolation.js';

const labs: ContainerLab[] = [];
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.destroy();
});
function lab(): ContainerLab {
  const l = new ContainerLab();
  labs.push(l);
  return l;
}

/** Every path under `dir`, relative, sorted. */
function tree(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).sort();
}

const sh = (script: string) => ({ command: ['/bin/busybox', 'sh', '-c', script] });

describeIsolation('container runtime: isolation', () => {
  it('sees only its own processes, has its own hostname, and cannot write to the host', async () => {
    const l = lab();
    const hostMarker = join(l.projectDir, 'written-from-container');
    const s = await l.start(
      l.spec('web', sh(`busybox ps -o pid,comm; hostname; echo x > /tmp/private && echo tmp-ok; echo x > ${hostMarker} || echo project-ro; echo x > /usr/evil || echo usr-ro; echo x > /new-dir-file || echo root-ro`)),
    );
    expect((await s.run.exited).code).toBe(0);
    await s.finished;
    const out = s.stdout();
    const pids = out.split('\n').filter((l) => /^\s*\d+\s/.test(l));
    // sh (pid 1) and ps: nothing of the host's hundreds of processes.
    expect(pids.length).toBeLessThanOrEqual(2);
    expect(pids[0]).toMatch(/^\s*1\s/);
    expect(out).toContain(s.spec.name);
    expect(out).toContain('tmp-ok');
    expect(out).toContain('project-ro');
    expect(out).toContain('usr-ro');
    expect(out).toContain('root-ro');
    expect(existsSync(hostMarker)).toBe(false);
    expect(existsSync('/usr/evil')).toBe(false);
    expect(existsSync('/tmp/private') && readFileSync('/tmp/private', 'utf8') === 'x\n').toBe(false);
    await l.remove(s);
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });

  it('shares a named volume between two services at its target path, and enforces :ro', async () => {
    const l = lab();
    const writer = await l.start(
      l.spec('writer', { ...sh('echo from-writer > /shared/note && echo done'), volumes: [{ type: 'volume', source: 'data', target: '/shared' }] }, 1, { volumeNames: { data: `${l.project}_data` } }),
    );
    expect((await writer.run.exited).code).toBe(0);
    const skeletonAtStart = tree(writer.bundle.rootfs.path);
    expect(skeletonAtStart).toContain('shared');
    const reader = await l.start(
      l.spec('reader', { ...sh('cat /shared/note; echo y > /shared/other || echo shared-ro'), volumes: [{ type: 'volume', source: 'data', target: '/shared', read_only: true }] }, 1, { volumeNames: { data: `${l.project}_data` } }),
    );
    expect((await reader.run.exited).code).toBe(0);
    await reader.finished;
    expect(reader.stdout()).toBe('from-writer\nshared-ro\n');
    // Both use one root skeleton, shared, which the runtime never wrote to.
    expect(reader.bundle.rootfs.path).toBe(writer.bundle.rootfs.path);
    expect(tree(reader.bundle.rootfs.path)).toEqual(skeletonAtStart);
    expect(readFileSync(join(l.home, 'volumes', `${l.project}_data`, 'data', 'note'), 'utf8')).toBe('from-writer\n');
  });

  it('mounts a volume where the host has no such directory, without writing to the host', async () => {
    const l = lab();
    const target = `/var/lib/tug-test-${l.project}/data`;
    const s = await l.start(l.spec('db', { ...sh(`echo hi > ${target}/f && cat ${target}/f`), volumes: [{ type: 'volume', target }] }));
    expect((await s.run.exited).code).toBe(0);
    await s.finished;
    expect(s.stdout()).toBe('hi\n');
    expect(existsSync(`/var/lib/tug-test-${l.project}`)).toBe(false);
  });

  it('mounts secrets and configs read-only, even at a path the host lacks, and resolves user names from the replica\'s passwd', async () => {
    const l = lab();
    const secretFile = join(l.projectDir, 'token.txt');
    writeFileSync(secretFile, 's3cret\n');
    const target = `/etc/tug-test-${l.project}/app.conf`;
    const spec = l.spec('app', {
      ...sh(`cat /run/secrets/token /run/secrets/inline ${target}; echo x > /run/secrets/token || echo secret-ro; id -u; id -g`),
      user: 'nobody',
      secrets: [{ source: 'token' }, { source: 'inline', mode: 0o400, uid: '65534' }],
      configs: [{ source: 'conf', target }],
    });
    const s = await l.start(spec, { secrets: { token: { file: secretFile }, inline: { content: 'inline-value\n' } }, configs: { conf: { content: 'key=value\n' } } });
    expect((await s.run.exited).code).toBe(0);
    await s.finished;
    const nobody = /^nobody:[^:]*:(\d+):(\d+):/m.exec(readFileSync('/etc/passwd', 'utf8'))!;
    expect(s.stdout().split('\n')).toEqual(['s3cret', 'inline-value', 'key=value', 'secret-ro', nobody[1], nobody[2], '']);
    expect(existsSync(`/etc/tug-test-${l.project}`)).toBe(false);
  });

  it('runs exec inside the replica, as its user, in its directory, with its environment and exit code', async () => {
    const l = lab();
    const s = await l.start(l.spec('api', { ...sh('sleep 30'), environment: { GREETING: 'hello' }, working_dir: '/tmp', user: '65534:65534' }));
    const exec = l.driver().exec(s.bundle, { args: ['/bin/busybox', 'sh', '-c', 'hostname; pwd; id -u; echo $GREETING $EXTRA; cat /proc/1/cmdline | tr "\\0" " "; exit 3'], env: { EXTRA: 'more' } });
    const out = collect(exec.stdout);
    expect(await exec.exited).toBe(3);
    await out.ended;
    // busybox sh execs its last command: PID 1 is the workload's sleep.
    expect(out().split('\n')).toEqual([s.spec.name, '/tmp', '65534', 'hello more', 'sleep 30 ']);
  });

  it('delivers signals to the init and reports its exit status', async () => {
    const l = lab();
    // As PID 1 of its namespace, the shell gets only signals it has a handler for: wait for the trap.
    const s = await l.start(l.spec('svc', sh('trap "echo got-term; exit 7" TERM; echo ready; while :; do sleep 0.1; done')));
    await until(() => s.stdout().includes('ready'), 'the trap');
    s.run.signal('SIGTERM');
    expect(await s.run.exited).toEqual({ code: 7 });
    await s.finished;
    expect(s.stdout()).toBe('ready\ngot-term\n');
    const killed = await l.start(l.spec('svc', sh('sleep 30'), 2));
    killed.run.signal('SIGKILL');
    expect(await killed.run.exited).toEqual({ code: 137 });
  });

  it('init: true reaps zombies and forwards signals to a workload that ignores them as PID 1', async () => {
    const l = lab();
    const s = await l.start(l.spec('svc', { command: ['/bin/busybox', 'sleep', '30'], init: true }));
    // The pid is known before runc's init has exec'd the workload, and tini blocks signals only
    // just before it forks: a SIGTERM earlier than its child is dropped (PID 1, no handler yet).
    await until(() => initHasChild(s.run.pid), 'the init to start its child');
    s.run.signal('SIGTERM');
    expect((await s.run.exited).code).toBe(143);
  });

  it('also works supervised by a foreground runc (no C compiler)', async () => {
    const l = lab();
    const s = await l.start(l.spec('svc', sh('echo out; echo err >&2; exit 5')), {}, 'foreground');
    expect(await s.run.exited).toEqual({ code: 5 });
    await s.finished;
    expect(s.stdout()).toBe('out\n');
    expect(s.stderr()).toBe('err\n');
    await l.remove(s);
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });

  it('reports why a container cannot start', async () => {
    const l = lab();
    await expect(l.start(l.spec('svc', { command: ['/nonexistent/binary'] }))).rejects.toThrow(/cannot start container .*nonexistent/);
  });
});

describeIsolation('container runtime: resources', () => {
  it('OOM-kills a memory hog at its limit and says so', async () => {
    const l = lab();
    const s = await l.start(l.spec('hog', { command: ['/bin/busybox', 'dd', 'if=/dev/zero', 'of=/dev/null', 'bs=64M', 'count=1'], mem_limit: 16 * 1024 * 1024 }));
    expect(await l.driver().finish(s.bundle, await s.run.exited)).toEqual({ exitCode: 137, oomKilled: true });
    await l.remove(s);
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });

  it('holds a pids limit, and applies cpu and memory limits to the cgroup', async () => {
    const l = lab();
    const s = await l.start(
      // The inner shell dies at the first fork the limit refuses; the outer one reports.
      l.spec('forker', { ...sh('busybox sh -c "for i in 1 2 3 4 5 6 7 8 9 10 11 12; do sleep 30 & done"; echo forked; sleep 30'), pids_limit: 8, cpus: 0.5, mem_limit: 64 * 1024 * 1024 }),
    );
    await until(() => s.stdout().includes('forked'), 'the forks');
    const sample = readCgroupSample(l.cgroups, s.bundle.cgroupsPath);
    expect(sample.pidsLimit).toBe(8);
    expect(sample.pids).toBeLessThanOrEqual(8);
    expect(sample.memoryLimit).toBe(64 * 1024 * 1024);
    expect(s.stderr()).toMatch(/fork|Resource temporarily unavailable/i);
    s.run.signal('SIGKILL');
    await s.run.exited;
  });
});

describeIsolation('container runtime: crash safety', () => {
  it('a SIGKILLed engine leaves no container running, and the next one removes what is left from its records', async () => {
    const l = lab();
    const spec = l.spec('svc', sh('sleep 60'));
    const holder = spawn(process.execPath, [join(repoRoot, 'test/fixtures/container-holder.mjs'), l.home, l.ledger.file, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const out = collect(holder.stdout!);
    const pid = Number(await until(() => /^pid (\d+)/m.exec(out())?.[1], 'the container pid'));
    expect(isProcessAlive(pid)).toBe(true);
    holder.kill('SIGKILL');
    await until(() => !isProcessAlive(pid), 'the container to die with its engine', 5_000);
    expect(await l.leftovers()).not.toEqual([]);
    // The next engine, from the records alone.
    const recovered = new Ledger(l.ledger.file);
    expect(recovered.entries().map((e) => e.kind).sort()).toEqual(['cgroup', 'container', 'dir', 'dir']);
    expect(await sweep(recovered, l.sweepContext)).toEqual([]);
    expect(await l.leftovers()).toEqual([]);
  });
});

/** True once `pid` is /dev/init and has forked the workload. */
function initHasChild(pid: number): boolean {
  try {
    if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] !== '/dev/init') return false;
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

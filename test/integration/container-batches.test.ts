// What the engine does for many replicas at once, with real mounts, runc and
// veths: overlay roots mounted with one `mount -a`, shims forked by one
// launcher, and veths of deleted namespaces left to the kernel in the
// background. Each batch must report a failure for the replica it belongs to,
// let the others through, and leave nothing behind.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { isMountPoint, unmountOverlaysAsync } from '../../src/runtime/images/rootfs/overlay.js';
import { mountOverlays } from '../../src/runtime/native/container/rootfs/overlay-batch.js';
import { VethTeardowns } from '../../src/runtime/native/container/sweep.js';
import { startContainer } from '../../src/runtime/native/container/container-run.js';
import { ContainerLab, NetworkLab } from '../helpers/containers.js';
import { describeIsolation } from '../helpers/isolation.js';

const labs: ContainerLab[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const lab of labs.splice(0)) await lab.destroy();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const sh = (script: string) => ({ command: ['/bin/busybox', 'sh', '-c', script] });

describeIsolation('container batches', () => {
  it('mounts many overlay roots with one mount -a; a bad one fails alone, with its own message', async () => {
    const base = mkdtempSync(join(tmpdir(), 'tug-overlay-batch-'));
    dirs.push(base);
    const layers = join(base, 'l');
    mkdirSync(join(layers, 'A'), { recursive: true });
    writeFileSync(join(layers, 'A', 'hello'), 'from the layer\n');
    const replica = (name: string) => {
      const dir = join(base, name);
      for (const d of ['upper', 'work', 'rootfs']) mkdirSync(join(dir, d), { recursive: true });
      return dir;
    };
    // A space in a path must survive the fstab.
    const [r1, r2, r3] = [replica('r1'), replica('r 2'), replica('r3')];
    const request = (dir: string, lower: string) => ({ target: join(dir, 'rootfs'), options: `lowerdir=${lower},upperdir=${join(dir, 'upper')},workdir=${join(dir, 'work')}`, cwd: layers });
    try {
      const results = await mountOverlays([request(r1, 'A'), request(r2, 'A'), request(r3, 'NOT-A-LAYER')], join(base, 'scratch'));
      expect(results[0]).toBeUndefined();
      expect(results[1]).toBeUndefined();
      expect(results[2]?.message).toContain(join(r3, 'rootfs'));
      expect(results[2]?.message).not.toContain(join(r1, 'rootfs'));
      expect(readFileSync(join(r1, 'rootfs', 'hello'), 'utf8')).toBe('from the layer\n');
      expect(readFileSync(join(r2, 'rootfs', 'hello'), 'utf8')).toBe('from the layer\n');
      expect(await isMountPoint(join(r3, 'rootfs'))).toBe(false);
      // The fstab was only there while mount read it.
      expect(readdirSync(join(base, 'scratch'))).toEqual([]);
    } finally {
      await unmountOverlaysAsync([r1, r2, r3]);
    }
    expect(await isMountPoint(join(r1, 'rootfs'))).toBe(false);
    expect(await isMountPoint(join(r2, 'rootfs'))).toBe(false);
  });

  it('containers started together each report their own output and status; one that cannot start fails alone', async () => {
    const l = new ContainerLab();
    labs.push(l);
    const good = [1, 2, 3, 4].map((n) => l.spec('job', sh(`echo "i am ${n}"; exit ${10 + n}`), n));
    const bad = l.spec('broken', { command: ['/no/such/program'] });
    const outcomes = await Promise.allSettled([...good, bad].map((spec) => l.start(spec)));
    const failure = outcomes[4];
    expect(failure?.status).toBe('rejected');
    expect(String((failure as PromiseRejectedResult).reason.message)).toContain(bad.name);
    for (const [i, outcome] of outcomes.slice(0, 4).entries()) {
      expect(outcome.status).toBe('fulfilled');
      const s = (outcome as PromiseFulfilledResult<Awaited<ReturnType<ContainerLab['start']>>>).value;
      expect(s.run.supervisorPid).toBeGreaterThan(0);
      expect((await s.run.exited).code).toBe(11 + i);
      await s.finished;
      expect(s.stdout()).toBe(`i am ${i + 1}\n`);
    }
    for (const spec of [...good, bad]) await l.remove(spec.name);
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });

  it('a launcher that cannot run fails the start at once, not at the start timeout', async () => {
    const l = new ContainerLab();
    labs.push(l);
    const bundle = await l.create(l.spec('orphan', sh('true')));
    const started = Date.now();
    const start = startContainer({ runtime: l.runtime, supervision: { kind: 'shim', path: '/nonexistent/tug-shim' }, id: bundle.id, bundle: bundle.dir, timeoutMs: 20_000 });
    await expect(start).rejects.toThrow(/cannot start container .*orphan/);
    expect(Date.now() - started).toBeLessThan(10_000);
    await l.remove(bundle.id);
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });

  it('a removed replica returns before its veths are gone; once settled they are, and its name starts again', async () => {
    const l = new NetworkLab();
    labs.push(l);
    const teardowns = new VethTeardowns();
    l.sweepContext.teardowns = teardowns;
    await l.createNetworks({ default: {} });
    const spec = l.netSpec('idle', { command: ['/bin/busybox', 'sleep', '300'], networks: { default: null } });
    const first = await l.startOn(spec);
    const veth = l.attachments.get(spec.name)!.links[0]!.veth;
    await l.removeReplica(first);
    await teardowns.settled(spec.name);
    expect(readdirSync('/sys/class/net')).not.toContain(veth);
    expect(l.ledger.entries(spec.name)).toEqual([]);
    // The same name, so the same veth name: it must be free now.
    const again = await l.startOn(spec);
    expect(existsSync(`/sys/class/net/${veth}`)).toBe(true);
    await l.removeReplica(again);
    await teardowns.settled();
    await l.removeNetworks();
    await l.removeProject();
    expect(await l.leftovers()).toEqual([]);
  });
});

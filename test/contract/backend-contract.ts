// The behaviour every RuntimeBackend must have, as vitest suites a backend's
// test file runs with its own factory. They speak only the RuntimeBackend
// interface. The lifecycle contract holds for every backend, the in-memory
// fake included; the runtime contract (runtime-contract.ts) is what only a
// backend that really runs processes can show: signals, exit codes, restart
// policies, health checks, ports, output and exec.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LABEL } from '../../src/core/model/labels.js';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import type { ReplicaEvent, RuntimeBackend } from '../../src/runtime/backend.js';
import { specLiteral } from '../helpers/replica-spec.js';

export interface ContractHarness {
  backend: RuntimeBackend;
  /** A project name no other test uses. */
  project: string;
  cleanup(): Promise<void>;
  /** Whether the backend holds a volume of that name (asked of the engine or its files, not of the backend under test). */
  volumeExists(name: string): Promise<boolean>;
  /** The same runtime seen by another client (another tug command); closed by cleanup. */
  otherClient(): RuntimeBackend;
}

export interface ContractSpecOptions {
  /** Extra labels, kept as given. */
  labels?: Record<string, string>;
}

/** A replica that stays alive for 60 s (e.g. `["/bin/sh", "-c", "sleep 60"]`). */
export type ContractSpecFor = (project: string, service: string, number: number, opts: ContractSpecOptions) => ReplicaSpec;

/** The labels and fields every spec needs; a backend's specFor only adds how the workload runs. */
export function contractSpec(project: string, service: string, number: number, serviceSpec: ServiceSpec, opts: ContractSpecOptions = {}): ReplicaSpec {
  return specLiteral({
    project,
    service,
    number,
    labels: {
      [LABEL.project]: project,
      [LABEL.service]: service,
      [LABEL.number]: String(number),
      [LABEL.oneoff]: 'False',
      [LABEL.configHash]: `contract-${service}`,
      ...opts.labels,
    },
    service_spec: serviceSpec,
    projectDir: process.cwd(),
  });
}

const EVENT_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 2_000;

export function runBackendContract(name: string, makeBackend: () => Promise<ContractHarness>, specFor: ContractSpecFor): void {
  describe(`RuntimeBackend contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await makeBackend();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const spec = (service = 'app', number = 1, opts: ContractSpecOptions = {}) => specFor(h.project, service, number, opts);
    const observed = async (replicaName: string) => (await h.backend.replicas.observe(h.project)).replicas.find((r) => r.name === replicaName);
    const start = (replica: ObservedReplica) => h.backend.replicas.start(h.project, replica.id);

    it('create: observe shows the replica, created, with its labels', async () => {
      const s = spec('app', 1, { labels: { 'test.contract': 'yes' } });
      const created = await h.backend.replicas.create(s);
      expect(created).toMatchObject({ name: s.name, project: h.project, service: 'app', number: 1, oneoff: false, state: 'created' });
      const seen = await observed(s.name);
      expect(seen).toMatchObject({ id: created.id, state: 'created', service: 'app', number: 1 });
      expect(seen?.labels).toMatchObject(s.labels);
      expect((await h.backend.replicas.observe(`${h.project}-other`)).replicas).toEqual([]);
    });

    it('start: the replica runs and a start event arrives', async () => {
      const created = await h.backend.replicas.create(spec());
      const controller = new AbortController();
      const startEvent = firstEvent(h.backend.replicas.events(h.project, controller.signal), (e) => e.action === 'start' && e.replica.name === created.name);
      try {
        await start(created);
        expect(await startEvent).toMatchObject({ action: 'start', replica: { name: created.name, state: 'running' } });
        expect(await observed(created.name)).toMatchObject({ state: 'running' });
      } finally {
        controller.abort();
      }
    });

    it('stop: the replica has exited when stop resolves, within the timeout', async () => {
      const created = await h.backend.replicas.create(spec());
      await start(created);
      const began = Date.now();
      await h.backend.replicas.stop(h.project, created.id, STOP_TIMEOUT_MS);
      expect(Date.now() - began).toBeLessThan(STOP_TIMEOUT_MS + 3_000);
      expect(await observed(created.name)).toMatchObject({ state: 'exited' });
    });

    it('remove: the replica is gone', async () => {
      const created = await h.backend.replicas.create(spec());
      await start(created);
      await h.backend.replicas.stop(h.project, created.id, STOP_TIMEOUT_MS);
      await h.backend.replicas.remove(h.project, created.id, { removeVolumes: false });
      expect(await observed(created.name)).toBeUndefined();
    });

    it('names are unique: creating the same name twice fails, naming it', async () => {
      const s = spec();
      await h.backend.replicas.create(s);
      await expect(h.backend.replicas.create(s)).rejects.toThrow(s.name);
      expect((await h.backend.replicas.observe(h.project)).replicas.filter((r) => r.name === s.name)).toHaveLength(1);
    });

    it('events: the stream ends when the signal aborts', async () => {
      const controller = new AbortController();
      const drained = (async () => {
        const seen: ReplicaEvent[] = [];
        for await (const e of h.backend.replicas.events(h.project, controller.signal)) seen.push(e);
        return seen;
      })();
      await h.backend.replicas.create(spec());
      await new Promise((r) => setTimeout(r, 50));
      controller.abort();
      await expect(withTimeout(drained, EVENT_TIMEOUT_MS, 'events() did not end after abort')).resolves.toBeInstanceOf(Array);
    });

    it('events: subscribe, then observe, and a change another client makes right after is never missed', async () => {
      const created = await h.backend.replicas.create(spec());
      for (let round = 1; round <= 5; round++) {
        await start(created);
        // A command that just began (a fresh client) watches; one already connected acts at once.
        const watcher = h.otherClient();
        const controller = new AbortController();
        const iterator = watcher.replicas.events(h.project, controller.signal)[Symbol.asyncIterator]();
        const first = iterator.next();
        try {
          expect((await watcher.replicas.observe(h.project)).replicas.find((r) => r.id === created.id)?.state).toBe('running');
          await h.backend.replicas.kill(h.project, created.id, 'SIGKILL');
          const died = (async () => {
            for (let r = await first; !r.done; r = await iterator.next()) if (r.value.action === 'die' && r.value.replica.id === created.id) return r.value;
            throw new Error('the event stream ended');
          })();
          await expect(withTimeout(died, EVENT_TIMEOUT_MS, `round ${round}: the die event was missed`)).resolves.toMatchObject({ action: 'die' });
        } finally {
          controller.abort();
        }
      }
    });

    it('networks: create, observe, remove', async () => {
      const networkName = `${h.project}_front`;
      await h.backend.resources.createNetwork(h.project, 'front', networkName, { labels: { 'test.contract': 'yes' } });
      const seen = (await h.backend.replicas.observe(h.project)).networks.find((n) => n.name === networkName);
      expect(seen).toMatchObject({ name: networkName, key: 'front' });
      await h.backend.resources.removeNetwork(h.project, networkName);
      expect((await h.backend.replicas.observe(h.project)).networks.map((n) => n.name)).not.toContain(networkName);
    });

    it('volumes: create, observe, remove', async () => {
      const volumeName = `${h.project}_data`;
      await h.backend.resources.createVolume(h.project, 'data', volumeName, {});
      const seen = (await h.backend.replicas.observe(h.project)).volumes.find((v) => v.name === volumeName);
      expect(seen).toMatchObject({ name: volumeName, key: 'data' });
      await h.backend.resources.removeVolume(h.project, volumeName);
      expect((await h.backend.replicas.observe(h.project)).volumes.map((v) => v.name)).not.toContain(volumeName);
    });

    it('findVolumes: the volumes of these names that exist, with the labels of whoever made them', async () => {
      const other = `${h.project}x`;
      const shared = `${other}_shared`;
      await h.backend.resources.createVolume(other, 'data', shared, {});
      try {
        expect(await h.backend.resources.findVolumes([shared, `${h.project}_missing`])).toEqual([
          { name: shared, key: 'data', labels: expect.objectContaining({ [LABEL.project]: other, [LABEL.volume]: 'data' }) },
        ]);
        expect(await h.backend.resources.findVolumes([])).toEqual([]);
        // Observe still lists only the project's own volumes.
        expect((await h.backend.replicas.observe(h.project)).volumes.map((v) => v.name)).not.toContain(shared);
      } finally {
        await h.backend.resources.removeVolume(other, shared);
      }
    });

    it('volumes of a removed replica: plain remove keeps its anonymous volume, removeVolumes drops it, named and external never go', async () => {
      const other = `${h.project}x`; // an external volume is one another project (or a user) made
      const named = `${h.project}_named`;
      const external = `${other}_ext`;
      await h.backend.resources.createVolume(h.project, 'named', named, {});
      await h.backend.resources.createVolume(other, 'ext', external, {});
      try {
        const withVolumes = (number: number, inheritedVolumes?: Record<string, string>): ReplicaSpec => {
          const s = spec('app', number);
          s.service_spec = {
            ...s.service_spec,
            volumes: [
              { type: 'volume', target: '/anon' },
              { type: 'volume', source: 'named', target: '/named' },
              { type: 'volume', source: 'ext', target: '/ext' },
            ],
          };
          s.volumeNames = { named, ext: external };
          if (inheritedVolumes) s.inheritedVolumes = inheritedVolumes;
          return s;
        };
        const first = await h.backend.replicas.create(withVolumes(1));
        const anon = (await observed(first.name))?.anonymousVolumes?.['/anon'];
        expect(anon, 'observe reports the anonymous volume at /anon').toBeTruthy();
        expect(Object.keys((await observed(first.name))!.anonymousVolumes!)).toEqual(['/anon']);
        expect((await h.backend.replicas.observe(h.project)).volumes.map((v) => v.name)).toEqual([named]);

        await h.backend.replicas.remove(h.project, first.id, { removeVolumes: false });
        expect(await h.volumeExists(anon!)).toBe(true);

        const second = await h.backend.replicas.create(withVolumes(2, { '/anon': anon! }));
        expect((await observed(second.name))?.anonymousVolumes).toEqual({ '/anon': anon });
        await h.backend.replicas.remove(h.project, second.id, { removeVolumes: true });
        expect(await h.volumeExists(anon!)).toBe(false);
        expect(await h.volumeExists(named)).toBe(true);
        expect(await h.volumeExists(external)).toBe(true);
      } finally {
        await h.backend.resources.removeVolume(h.project, named);
        await h.backend.resources.removeVolume(other, external);
      }
    });
  });
}

/** The first event matching `pick`; iteration starts (and subscribes) right away. */
export function firstEvent(events: AsyncIterable<ReplicaEvent>, pick: (e: ReplicaEvent) => boolean): Promise<ReplicaEvent> {
  const iterator = events[Symbol.asyncIterator]();
  const first = iterator.next();
  const found = (async () => {
    for (let r = await first; !r.done; r = await iterator.next()) if (pick(r.value)) return r.value;
    throw new Error('the event stream ended before the event arrived');
  })();
  return withTimeout(found, EVENT_TIMEOUT_MS, 'the event did not arrive');
}

export function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// The backend contract on a real Docker Engine, with the local busybox image
// (imported from the host, never pulled). Each test has its own project;
// cleanup removes everything labelled with it, whatever the test left.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model/types.js';
import { createDockerBackend } from '../../src/runtime/docker/backend.js';
import { describeDocker, ensureTestImage, removeDockerProjectAsync, TEST_IMAGE, testDocker, uniqueDockerProject } from '../helpers/docker.js';
import { contractSpec, runBackendContract, type ContractHarness } from './backend-contract.js';
import { runRuntimeContract } from './runtime-contract.js';
import { projectLiteral } from '../helpers/project-literal.js';

describeDocker('docker backend', () => {
  beforeAll(async () => {
    await ensureTestImage();
  });

  const dockerHarness = async (): Promise<ContractHarness> => {
      const project = uniqueDockerProject('contract');
      const backend = createDockerBackend({ env: process.env });
      const others: ReturnType<typeof createDockerBackend>[] = [];
      return {
        backend,
        project,
        otherClient: () => {
          const other = createDockerBackend({ env: process.env });
          others.push(other);
          return other;
        },
        cleanup: async () => {
          for (const other of others) await other.close();
          await backend.close();
          await removeDockerProjectAsync(project);
        },
        volumeExists: async (name) =>
          (await testDocker())
            .getVolume(name)
            .inspect()
            .then(
              () => true,
              () => false,
            ),
      };
  };

  runBackendContract('docker', dockerHarness, (project, service, number, opts) =>
    contractSpec(project, service, number, { image: TEST_IMAGE, command: ['/bin/sh', '-c', 'sleep 60'] }, opts),
  );
  runRuntimeContract('docker', dockerHarness, (project, service, serviceSpec) => contractSpec(project, service, 1, { image: TEST_IMAGE, ...serviceSpec }));
});

// Behaviour only the docker backend has: images, several networks, engine errors.
describeDocker('docker backend: engine specifics', () => {
  const backend = createDockerBackend({ env: process.env });
  const projects: string[] = [];
  const projectDirs: string[] = [];
  const project = () => {
    const name = uniqueDockerProject('dspec');
    projects.push(name);
    return name;
  };
  const busybox = (name: string, service: string, command: string[], extra: Partial<ServiceSpec> = {}) =>
    contractSpec(name, service, 1, { image: TEST_IMAGE, command, ...extra });

  beforeAll(async () => {
    await ensureTestImage();
  });
  afterAll(async () => {
    await backend.close();
    for (const name of projects) await removeDockerProjectAsync(name);
    for (const dir of projectDirs) rmSync(dir, { recursive: true, force: true });
  });

  it('an unreachable engine is a TugError naming the endpoint', async () => {
    const lost = createDockerBackend({ env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    await expect(lost.replicas.observe('x')).rejects.toMatchObject({ code: 'docker.unreachable', message: expect.stringContaining('unix:///nonexistent/docker.sock') });
  });

  it('joins every network: the first at create, the others right after, with the service alias on each', async () => {
    const name = project();
    await backend.resources.createNetwork(name, 'front', `${name}_front`, {});
    await backend.resources.createNetwork(name, 'back', `${name}_back`, {});
    const spec = busybox(name, 'web', ['sleep', '30'], { networks: { front: null, back: { aliases: ['api'] } } });
    spec.networkNames = { front: `${name}_front`, back: `${name}_back` };
    const created = await backend.replicas.create(spec);
    const info = await (await testDocker()).getContainer(created.id).inspect();
    const networks = info.NetworkSettings.Networks as Record<string, { Aliases: string[] | null }>;
    expect(Object.keys(networks).sort()).toEqual([`${name}_back`, `${name}_front`]);
    expect(networks[`${name}_back`]!.Aliases).toEqual(expect.arrayContaining([spec.name, 'web', 'api']));
    await backend.replicas.remove(name, created.id, { removeVolumes: true });
    await backend.resources.removeNetwork(name, `${name}_front`);
    await backend.resources.removeNetwork(name, `${name}_back`);
  });

  it('die events carry the exit code; logs merge stdout and stderr of replicas in time order', async () => {
    const name = project();
    // The order is made by the workloads themselves, through a shared directory, not by
    // sleeps: each waits for the line before its own, so a busy machine cannot reorder them.
    const shared = mkdtempSync(join(tmpdir(), 'tug-order-'));
    projectDirs.push(shared);
    const volumes = [{ type: 'bind' as const, source: shared, target: '/s' }];
    const waitFor = (flag: string) => `while [ ! -f /s/${flag} ]; do sleep 0.02; done`;
    const first = await backend.replicas.create(busybox(name, 'a', ['sh', '-c', `echo one; touch /s/one; ${waitFor('two')}; echo three >&2; exit 5`], { volumes }));
    const second = await backend.replicas.create(busybox(name, 'b', ['sh', '-c', `${waitFor('one')}; echo two; touch /s/two`], { volumes }));
    const controller = new AbortController();
    const died = (async () => {
      for await (const e of backend.replicas.events(name, controller.signal)) if (e.action === 'die' && e.replica.id === first.id) return e;
      return undefined;
    })();
    await Promise.all([backend.replicas.start(name, first.id), backend.replicas.start(name, second.id)]);
    const event = await died;
    controller.abort();
    expect(event?.replica).toMatchObject({ state: 'exited', exitCode: 5 });
    await new Promise((r) => setTimeout(r, 200));
    const lines = [];
    for await (const line of backend.io.logs(name, {})) lines.push([line.replica.slice(name.length + 1), line.stream, line.text]);
    expect(lines).toEqual([
      ['a-1', 'stdout', 'one'],
      ['b-1', 'stdout', 'two'],
      ['a-1', 'stderr', 'three'],
    ]);
  });

  it('prepareImages builds a build-only service as <project>-<service> and reports a failing step', async () => {
    const name = project();
    const dir = mkdtempSync(join(tmpdir(), 'tug-build-'));
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nARG WORD\nRUN echo "$WORD" > /word\n`);
      const lines: string[] = [];
      const model = projectLiteral({
        name,
        workingDir: dir,
        services: {
          app: { build: { context: dir, args: { WORD: 'built' } } },
          broken: { build: { context: dir, dockerfile_inline: `FROM ${TEST_IMAGE}\nRUN exit 9\n` } },
        },
      });
      const ids = await backend.images!.prepare(model, ['app'], { build: 'missing', onProgress: (p) => lines.push(p.status) });
      expect(ids.app).toMatch(/^sha256:/);
      expect(lines.some((l) => l.includes('RUN echo'))).toBe(true);
      expect((await (await testDocker()).getImage(`${name}-app`).inspect()).Id).toBe(ids.app);
      await expect(backend.images!.prepare(model, ['broken'], { build: 'missing' })).rejects.toMatchObject({
        code: 'docker.build-failed',
        message: expect.stringContaining('non-zero code: 9'),
      });
      await (await testDocker()).getImage(`${name}-app`).remove({ force: true });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

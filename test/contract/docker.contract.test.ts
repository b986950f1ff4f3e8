// The backend contract on a real Docker Engine, with the local busybox image
// (imported from the host, never pulled). Each test has its own project;
// cleanup removes everything labelled with it, whatever the test left.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

  it('build.cache_from serves the steps of an image that has lost its build history (loaded from an archive)', async () => {
    const name = project();
    const dir = mkdtempSync(join(tmpdir(), 'tug-build-'));
    const docker = await testDocker();
    const seed = `${name}-seed:1`;
    try {
      writeFileSync(join(dir, 'Dockerfile'), `FROM ${TEST_IMAGE}\nRUN echo ${name} > /stamp\n`);
      const build = (image: string, cache_from?: string[]) => {
        const lines: string[] = [];
        const model = projectLiteral({ name, workingDir: dir, services: { app: { image, build: { context: dir, ...(cache_from ? { cache_from } : {}) } } } });
        return backend.images!.prepare(model, ['app'], { build: 'always', onProgress: (p) => lines.push(p.status) }).then(() => lines.join('\n'));
      };
      await build(seed);
      // The image as a pull brings it: the same layers and history, but no parent link for
      // the builder's local cache to follow (an archive without manifest.json's Parent).
      const unpacked = join(dir, 'saved');
      mkdirSync(unpacked);
      run('sh', ['-c', 'docker save "$0" | tar -x -C "$1"', seed, unpacked]);
      const manifest = JSON.parse(readFileSync(join(unpacked, 'manifest.json'), 'utf8')) as Record<string, unknown>[];
      for (const entry of manifest) delete entry.Parent;
      writeFileSync(join(unpacked, 'manifest.json'), JSON.stringify(manifest));
      await docker.getImage(seed).remove({ force: true });
      run('sh', ['-c', 'tar -c -C "$0" . | docker load -q', unpacked]);
      // Without it named, its steps run again; with it, they serve. Each leaves a link the
      // builder's local cache would follow, so the image the first made is removed first.
      expect(await build(`${name}-app`)).not.toContain('Using cache');
      await docker.getImage(`${name}-app`).remove({ force: true });
      expect(await build(`${name}-app`, [seed, 'type=registry,ref=elsewhere/cache'])).toContain('Using cache');
    } finally {
      for (const image of [seed, `${name}-app`]) await docker.getImage(image).remove({ force: true }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
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

function run(command: string, args: string[]): void {
  const r = spawnSync(command, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
}

// `tug pull` and `down --rmi all` on the docker backend, against the real
// engine and a real registry on 127.0.0.1 (which Docker treats as insecure,
// so plain HTTP works): the services' image is pulled once onto the engine,
// listed by `tug images`, and removed by `down --rmi all`.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';
import { docker, dockerProject, teardownDockerProjects } from '../helpers/docker-project.js';
import { buildImage, busyboxEntries } from '../helpers/image-fixtures.js';
import { describeRegistry, pushImage, startRegistry, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry | undefined;
let image = '';

describeDocker('docker backend: tug pull and down --rmi all', () =>
  describeRegistry('from a registry on 127.0.0.1', () => {
    beforeAll(async () => {
      reg = await startRegistry();
      const img = await buildImage({ layers: [{ entries: busyboxEntries() }], config: { Cmd: ['sh'] } });
      await pushImage(reg, 'tug/docker-pull', '1', img.manifest, img.blobs);
      image = `${reg.host}/tug/docker-pull:1`;
    }, 60_000);
    afterEach(() => teardownDockerProjects());
    afterAll(async () => {
      docker(['image', 'rm', '-f', image]);
      await reg?.stop();
    });

    it('pulls the shared image once, lists it, and removes it with down --rmi all', () => {
      const p = dockerProject(
        { 'compose.yaml': ['services:', `  a: {image: "${image}", command: [sleep, "100"]}`, `  b: {image: "${image}", command: [sleep, "100"]}`, '  pinned: {image: "nothing/here:1", pull_policy: never, command: ["true"]}'].join('\n') },
        'dpl',
      );
      const pulled = p.ok(['pull']);
      // One pull for both services; the pinned one (pull_policy: never) is not asked for.
      expect(pulled.stderr.match(/Pulling from/g)?.length).toBe(1);
      expect(pulled.stderr).toMatch(/^a,b pull \| /m);
      expect(pulled.stderr).not.toContain("nothing/here");
      expect(docker(['image', 'inspect', image]).code).toBe(0);
      const images = JSON.parse(p.ok(['images', '--format', 'json']).stdout) as { Service: string; Repository: string }[];
      expect(images.map((i) => [i.Service, i.Repository])).toEqual([
        ['a', `${reg!.host}/tug/docker-pull`],
        ['b', `${reg!.host}/tug/docker-pull`],
      ]);
      const down = p.ok(['down', '--rmi', 'all']);
      expect(down.stderr).toContain(`removed image ${image}`);
      expect(docker(['image', 'inspect', image]).code).not.toBe(0);
    }, 120_000);
  }),
);

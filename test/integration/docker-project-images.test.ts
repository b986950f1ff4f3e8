// The project-level image verbs on the docker backend, against the real
// engine: `ps --size` shows what each container wrote (the engine's SizeRw),
// `tug images` lists the services' images, and `down --rmi local` removes the
// image tug built for a service without an image name, keeping the named one.
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';
import { docker, dockerProject, lines, requireTestImage, teardownDockerProjects } from '../helpers/docker-project.js';
import { uniqueProject } from '../helpers/native-env.js';

const BASE = 'tug-test/busybox:latest';

describeDocker('docker backend: ps --size, images, down --rmi', () => {
  beforeAll(() => requireTestImage(BASE));
  afterEach(() => teardownDockerProjects());

  it('measures containers, lists the images and removes the built one', () => {
    const project = uniqueProject('dri');
    const p = dockerProject(
      {
        'compose.yaml': [
          'services:',
          '  writer:',
          `    image: ${BASE}`,
          `    command: ["sh", "-c", "head -c 200000 /dev/zero > /written; trap 'exit 0' TERM; sleep 100000 & wait"]`,
          '  built:',
          '    build: .',
          `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]`,
        ].join('\n'),
        Dockerfile: `FROM ${BASE}\nLABEL org.tug.test-project=${project}\n`,
      },
      'dri',
      project,
    );
    p.onTeardown(() => {
      const images = lines(docker(['image', 'ls', '-a', '-q', '--filter', `label=org.tug.test-project=${project}`]).stdout);
      if (images.length) docker(['image', 'rm', '-f', ...new Set(images)]);
    });
    p.ok(['up', '-d', '--wait']);
    // The file is written right after start; the engine measures on request.
    let sizes: Record<string, string> = {};
    for (let i = 0; i < 50; i++) {
      sizes = Object.fromEntries(lines(p.ok(['ps', '--size', '--format', 'json']).stdout).map((l) => JSON.parse(l) as { Service: string; Size: string }).map((r) => [r.Service, r.Size]));
      if (sizes.writer === '200kB') break;
    }
    expect(sizes.writer).toBe('200kB');
    expect(sizes.built).toMatch(/^\d+(\.\d+)?k?B$/);
    expect(p.ok(['ps', '--size']).stdout).toMatch(/SIZE/);

    const images = JSON.parse(p.ok(['images', '--format', 'json']).stdout) as { Service: string; Repository: string; Tag: string; ID: string }[];
    expect(images.map((i) => [i.Service, i.Repository, i.Tag])).toEqual([
      ['built', `${project}-built`, 'latest'],
      ['writer', 'tug-test/busybox', 'latest'],
    ]);

    const down = p.ok(['down', '--rmi', 'local', '-t', '0']);
    expect(down.stderr).toContain(`removed image ${project}-built`);
    expect(docker(['image', 'inspect', `${project}-built`]).code).not.toBe(0);
    expect(docker(['image', 'inspect', BASE]).code).toBe(0);
  }, 180_000);
});

// The docker backend through the built CLI: images built from a Dockerfile with
// a local context (no registry is reachable), built when missing, rebuilt only
// with --build, and a rebuilt image recreates the service's containers.
import { afterEach, beforeAll, expect, it } from 'vitest';
import { describeDocker } from '../helpers/docker.js';
import { docker, dockerProject, lines, requireTestImage, teardownDockerProjects } from '../helpers/docker-project.js';
import { uniqueProject } from '../helpers/native-env.js';

const BASE = 'tug-test/busybox:latest';
const SCRATCH_BASE = 'tug-test/scratch-hello:latest';
const slow = { timeout: 180_000 };

const imageId = (ref: string) => docker(['image', 'inspect', '-f', '{{.Id}}', ref]).stdout.trim();
const containerField = (name: string, field: string) => docker(['inspect', '-f', `{{${field}}}`, name]).stdout.trim();

/**
 * A project whose Dockerfiles are written by `dockerfile()`: each starts with a
 * label naming the project, so teardown can find every image the test built,
 * intermediate ones included, and no build cache is shared between tests.
 */
function setup(files: (project: string) => Record<string, string>) {
  const project = uniqueProject('db');
  const p = dockerProject(files(project), 'db', project);
  p.onTeardown(() => {
    const label = `label=org.tug.test-project=${project}`;
    // Containers left by a failed build step, then every image the test built.
    for (const id of lines(docker(['ps', '-a', '-q', '--filter', label]).stdout)) docker(['rm', '-f', id]);
    const images = lines(docker(['image', 'ls', '-a', '-q', '--filter', label]).stdout);
    if (images.length) docker(['image', 'rm', '-f', ...new Set(images)]);
  });
  return p;
}

function dockerfile(project: string, from: string, ...instructions: string[]): string {
  return [`FROM ${from}`, `LABEL org.tug.test-project=${project}`, ...instructions, ''].join('\n');
}

describeDocker('docker backend: build', () => {
  beforeAll(() => {
    requireTestImage(BASE);
    requireTestImage(SCRATCH_BASE);
  });
  afterEach(teardownDockerProjects);

  it('up builds a missing image; a changed context is rebuilt only with --build, which recreates the container', slow, () => {
    const t = setup((project) => ({
      'compose.yaml': 'services:\n  app:\n    build: .\n',
      Dockerfile: dockerfile(
        project,
        BASE,
        'COPY greeting.txt /greeting.txt',
        'RUN echo built-by-run > /run.txt',
        'CMD ["sh", "-c", "cat /greeting.txt /run.txt; trap \'exit 0\' TERM; sleep 100000 & wait"]',
      ),
      'greeting.txt': 'first greeting\n',
    }));
    t.ok(['up', '-d']);
    const image = `${t.project}-app`;
    const firstImage = imageId(image);
    expect(firstImage, `image ${image} built`).not.toBe('');
    const container = `${t.project}-app-1`;
    const firstContainer = containerField(container, '.Id');
    expect(containerField(container, '.Image')).toBe(firstImage);
    expect(t.ok(['logs', '--no-log-prefix', 'app']).stdout).toMatch(/first greeting\s+built-by-run/);

    t.write('greeting.txt', 'second greeting\n');
    t.ok(['up', '-d']);
    expect(imageId(image), 'no rebuild without --build').toBe(firstImage);
    expect(containerField(container, '.Id')).toBe(firstContainer);

    t.ok(['up', '-d', '--build']);
    const secondImage = imageId(image);
    expect(secondImage).not.toBe(firstImage);
    expect(containerField(container, '.Id'), 'the container is recreated from the new image').not.toBe(firstContainer);
    expect(containerField(container, '.Image')).toBe(secondImage);
    expect(t.ok(['exec', '-T', 'app', 'cat', '/greeting.txt']).stdout).toBe('second greeting\n');
  });

  it('honours image:, build.context, build.dockerfile and build.args', slow, () => {
    const t = setup((project) => ({
      'compose.yaml': [
        'services:',
        '  app:',
        `    image: ${project}-custom:v1`,
        '    build:',
        '      context: ./ctx',
        '      dockerfile: Custom.Dockerfile',
        '      args:',
        '        GREETING: hello-from-arg',
        '    command: ["cat", "/greeting"]',
        '',
      ].join('\n'),
      'ctx/Custom.Dockerfile': dockerfile(project, BASE, 'ARG GREETING=unset', 'RUN echo "$GREETING" > /greeting'),
    }));
    t.ok(['up', '-d']);
    expect(imageId(`${t.project}-custom:v1`)).not.toBe('');
    expect(containerField(`${t.project}-app-1`, '.Config.Image')).toBe(`${t.project}-custom:v1`);
    expect(t.ok(['logs', '--no-log-prefix', 'app']).stdout.trim()).toBe('hello-from-arg');
    expect(imageId(`${t.project}-app`), 'no image under the default name').toBe('');
  });

  it('builds on a FROM scratch base and runs the image\'s own CMD when the service has no command', slow, () => {
    const t = setup((project) => ({
      'compose.yaml': 'services:\n  hello:\n    build: .\n',
      Dockerfile: dockerfile(project, SCRATCH_BASE, 'RUN ["/bin/busybox", "touch", "/built"]'),
    }));
    t.ok(['up', '-d']);
    expect(t.ok(['logs', '--no-log-prefix', 'hello']).stdout.trim()).toBe('hello from scratch');
    expect(t.ok(['run', '--rm', 'hello', 'ls', '/built']).stdout.trim()).toBe('/built');
  });

  it('run builds the service\'s image when it is missing, as up does', slow, () => {
    const t = setup((project) => ({
      'compose.yaml': 'services:\n  job:\n    build: .\n',
      Dockerfile: dockerfile(project, BASE, 'RUN echo built-for-run > /marker', 'CMD ["cat", "/marker"]'),
    }));
    const r = t.ok(['run', '--rm', 'job']);
    expect(r.stdout.trim()).toBe('built-for-run');
    expect(imageId(`${t.project}-job`)).not.toBe('');
  });

  it('a failing build step fails up with the builder\'s output and creates no container', slow, () => {
    const t = setup((project) => ({
      'compose.yaml': 'services:\n  broken:\n    build: .\n  fine:\n    image: tug-test/busybox:latest\n    command: ["sleep", "100000"]\n    depends_on: [broken]\n',
      Dockerfile: dockerfile(project, BASE, 'RUN echo about-to-fail && exit 3'),
    }));
    const r = t.run(['up', '-d']);
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/broken/);
    expect(r.stdout + r.stderr).toMatch(/about-to-fail|exit(ed)? (code )?3|returned a non-zero code: 3/);
    expect(lines(docker(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${t.project}`]).stdout)).toEqual([]);
  });
});

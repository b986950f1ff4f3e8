// `tug build` on the docker backend goes through the Engine's classic builder
// (the images facet `up --build` uses there), with the command line's
// --build-arg and --no-cache applied to the model it builds from.
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { describeDocker, ensureTestImage, TEST_IMAGE, testDocker, uniqueDockerProject } from '../helpers/docker.js';

const project = uniqueDockerProject('tugbuildcli');
const dockerEnv: Record<string, string> = process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};
const dir = tempProject({ 'compose.yaml': 'services:\n  app:\n    build: .\n', Dockerfile: `FROM ${TEST_IMAGE}\nARG MSG=default\nRUN echo "message $MSG"\n` }, 'tug-build-docker-');

describeDocker('tug build on the docker backend', () => {
  afterAll(async () => {
    const docker = await testDocker();
    await docker.getImage(`${project}-app`).remove({ force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds with the Engine, honouring --build-arg and --no-cache', async () => {
    await ensureTestImage();
    const first = tug(['--backend', 'docker', '-p', project, 'build', '--build-arg', 'MSG=from-cli'], { cwd: dir, env: dockerEnv });
    expect(first.code).toBe(0);
    expect(first.stderr + first.stdout).toContain('message from-cli');
    const again = tug(['--backend', 'docker', '-p', project, 'build', '--no-cache', '--build-arg', 'MSG=from-cli'], { cwd: dir, env: dockerEnv });
    expect(again.stderr + again.stdout).not.toContain('Using cache');
    expect(again.stderr + again.stdout).toContain('message from-cli');
    const image = await (await testDocker()).getImage(`${project}-app`).inspect();
    expect(image.Id).toMatch(/^sha256:/);
  }, 120_000);
});

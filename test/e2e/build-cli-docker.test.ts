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
  // Every image a build tagged: a rebuild moves the tag, and the image it left would stay behind untagged.
  const built = new Set<string>();
  afterAll(async () => {
    const docker = await testDocker();
    for (const id of built) await docker.getImage(id).remove({ force: true }).catch(() => undefined);
    await docker.getImage(`${project}-app`).remove({ force: true }).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds with the Engine, honouring --build-arg and --no-cache', async () => {
    await ensureTestImage();
    // A value no earlier run used: the Engine's cache is shared by every tag.
    const arg = `MSG=${project}`;
    const build = async (...flags: string[]) => {
      const r = tug(['--backend', 'docker', '-p', project, 'build', ...flags, '--build-arg', arg], { cwd: dir, env: dockerEnv });
      expect(r.code).toBe(0);
      built.add((await (await testDocker()).getImage(`${project}-app`).inspect()).Id);
      return r.stderr + r.stdout;
    };
    expect(await build()).toContain(`message ${project}`);
    expect(await build()).toContain('Using cache');
    const fresh = await build('--no-cache');
    expect(fresh).not.toContain('Using cache');
    expect(fresh).toContain(`message ${project}`);
    const image = await (await testDocker()).getImage(`${project}-app`).inspect();
    expect(image.Id).toMatch(/^sha256:/);
  }, 120_000);
});

// The harness the docker integration tests share: a temporary project with
// its own TUG_HOME and name, `tug --backend docker` bound to it, plain
// `docker` to look at what the engine holds, and a teardown that removes
// everything the test made (extra clean-ups can be registered per project).
import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { tempProject, tug, type CliResult } from './cli.js';
import { removeDockerProject } from './docker.js';
import { tempHome, uniqueProject } from './native-env.js';

export const IMAGE = 'tug-test/busybox:latest';
export const dockerEnv: Record<string, string> = process.env.DOCKER_HOST ? { DOCKER_HOST: process.env.DOCKER_HOST } : {};
// sh as PID 1 ignores SIGTERM unless it traps it; trapping keeps stops (and so recreate, scale down) fast.
export const IDLE = "trap 'exit 0' TERM; sleep 100000 & wait";

export function docker(args: string[]): CliResult {
  const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export const lines = (text: string): string[] => text.split('\n').map((l) => l.trim()).filter(Boolean);

/** A service running `sh -c command` in the test image. */
export function service(name: string, command: string, extra = ''): string {
  return `  ${name}:\n    image: ${IMAGE}\n    command: ["sh", "-c", ${JSON.stringify(command)}]\n${extra}`;
}

export interface DockerTestProject {
  dir: string;
  home: string;
  project: string;
  env: Record<string, string>;
  run(args: string[]): CliResult;
  /** Runs and expects exit code 0, showing tug's output when it is not. */
  ok(args: string[]): CliResult;
  write(rel: string, text: string): void;
  rewrite(compose: string): void;
  /** Extra clean-up for teardown (images built, external volumes...). */
  onTeardown(fn: () => void): void;
}

const open: { project: DockerTestProject; cleanups: (() => void)[] }[] = [];

export function dockerProject(files: Record<string, string>, prefix: string, project = uniqueProject(prefix)): DockerTestProject {
  const dir = tempProject(files);
  const home = tempHome();
  const env = { TUG_HOME: home, ...dockerEnv };
  const cleanups: (() => void)[] = [];
  const run = (args: string[]) => tug(['--backend', 'docker', '-p', project, '--progress', 'plain', ...args], { cwd: dir, env });
  const p: DockerTestProject = {
    dir,
    home,
    project,
    env,
    run,
    ok: (args) => {
      const r = run(args);
      expect(r.code, `tug ${args.join(' ')} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r;
    },
    write: (rel, text) => writeFileSync(join(dir, rel), text),
    rewrite: (compose) => writeFileSync(join(dir, 'compose.yaml'), compose),
    onTeardown: (fn) => cleanups.push(fn),
  };
  open.push({ project: p, cleanups });
  return p;
}

/** Removes every project opened since the last call: for afterEach. */
export function teardownDockerProjects(): void {
  for (const { project: p, cleanups } of open.splice(0)) {
    tug(['--backend', 'docker', '-p', p.project, 'down', '-v', '--remove-orphans', '-t', '0'], { cwd: p.dir, env: p.env });
    removeDockerProject(p.project); // the safety net when down itself failed
    for (const fn of cleanups) fn();
    rmSync(p.dir, { recursive: true, force: true });
    rmSync(p.home, { recursive: true, force: true });
  }
}

/** Fails the suite early, and clearly, when setup-docker.sh has not built the test image. */
export function requireTestImage(image = IMAGE): void {
  if (docker(['image', 'inspect', image]).code !== 0) throw new Error(`image ${image} is missing: run \`bash scripts/setup-docker.sh\` first`);
}

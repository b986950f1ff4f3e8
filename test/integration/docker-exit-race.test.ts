// A one-shot that exits at once must never hang `up`. Engine 20.10 sends a
// container's `die` event before its container list stops saying "running"
// (the list is updated once the exit is cleaned up: networks, published
// ports), so a command that subscribes to events after the exit and then
// lists, saw "running" and waited forever for a `die` that had already gone
// by. Published ports widen that window (each has a proxy to stop), so the race is
// hit in most runs; each case repeats quick runs to exercise it (each `up`
// starts the exited replica again, so no `down` is needed in between).
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, expect, it } from 'vitest';
import { tugBin } from '../helpers/cli.js';
import { describeDocker } from '../helpers/docker.js';
import { dockerProject, IMAGE, requireTestImage, teardownDockerProjects, type DockerTestProject } from '../helpers/docker-project.js';

/** Long enough for a healthy run on a loaded machine; a hang is a run that never ends. */
const RUN_TIMEOUT_MS = 30_000;

const oneShot = (name: string, code: number, extra = '') =>
  `  ${name}:\n    image: ${IMAGE}\n    command: ["sh", "-c", "exit ${code}"]\n` +
  `    ports: ["127.0.0.1::81", "127.0.0.1::82", "127.0.0.1::83", "127.0.0.1::84"]\n${extra}`;

/** tug with a deadline: a run that hangs is killed and reported, not waited for. */
function timed(t: DockerTestProject, args: string[]): { code: number | null; hung: boolean; stderr: string } {
  const r = spawnSync(process.execPath, [tugBin, '--backend', 'docker', '-p', t.project, '--progress', 'plain', ...args], {
    cwd: t.dir,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...t.env },
    encoding: 'utf8',
    timeout: RUN_TIMEOUT_MS,
    killSignal: 'SIGKILL',
  });
  return { code: r.status, hung: r.signal === 'SIGKILL', stderr: r.stderr ?? '' };
}

describeDocker('docker backend: a replica that exits at once', () => {
  beforeAll(() => requireTestImage());
  afterEach(teardownDockerProjects);

  it('up --abort-on-container-exit returns its exit code every time (20 quick runs)', { timeout: 20 * RUN_TIMEOUT_MS }, () => {
    const t = dockerProject({ 'compose.yaml': `services:\n${oneShot('once', 3)}` }, 'dr');
    for (let run = 1; run <= 20; run++) {
      const r = timed(t, ['up', '--abort-on-container-exit']);
      expect(r.hung, `run ${run} hung:\n${r.stderr}`).toBe(false);
      expect(r.code, `run ${run}:\n${r.stderr}`).toBe(3);
    }
  });

  it('a wait for service_completed_successfully on it returns every time (10 quick runs)', { timeout: 10 * RUN_TIMEOUT_MS }, () => {
    const compose =
      'services:\n' +
      oneShot('init', 0) +
      `  app:\n    image: ${IMAGE}\n    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 100000 & wait"]\n` +
      '    depends_on: {init: {condition: service_completed_successfully}}\n';
    const t = dockerProject({ 'compose.yaml': compose }, 'dr');
    for (let run = 1; run <= 10; run++) {
      const r = timed(t, ['up', '-d']);
      expect(r.hung, `run ${run} hung:\n${r.stderr}`).toBe(false);
      expect(r.code, `run ${run}:\n${r.stderr}`).toBe(0);
      expect(timed(t, ['stop', '-t', '0']).code).toBe(0);
    }
  });
});

// Durations of 2^31 ms and more (about 24.8 days) through the native
// backend: Node's own timers turn them into 1 ms, so a health check with
// `interval: 720h` would probe without pause, a restart delay of 720h would
// restart at once, and `--wait-timeout 2592000` would time out at once. Two
// seconds are enough to tell.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempProject, tug } from '../helpers/cli.js';
import { tempHomes, uniqueProject } from '../helpers/native-env.js';

const newHome = tempHomes();

/** A project whose compose file may name files in its own directory. */
function setup(compose: (dir: string) => string) {
  const home = newHome();
  const dir = tempProject({});
  writeFileSync(join(dir, 'compose.yaml'), compose(dir));
  const project = uniqueProject('ld');
  const run = (args: string[]) => tug(['-p', project, ...args], { cwd: dir, env: { TUG_HOME: home } });
  const rows = () =>
    run(['ps', '-a', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { State: string; Health: string; Restarts: number });
  const lines = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean).length : 0);
  return { run, rows, lines };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('long durations on native', () => {
  it('health interval 720h: at most one probe in 2 s', async () => {
    const { run, rows, lines } = setup(
      (dir) => `services:\n  app:\n    command: ["sleep", "60"]\n    healthcheck:\n      test: ["CMD", "sh", "-c", "echo probe >> ${dir}/probes"]\n      interval: 720h\n`,
    );
    const up = run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    await sleep(2_000);
    expect(lines('probes')).toBeLessThanOrEqual(1);
    expect(rows()[0]).toMatchObject({ State: 'running', Health: 'starting' });
  });

  it('deploy.restart_policy.delay 720h: at most one restart in 2 s', async () => {
    const { run, rows, lines } = setup(
      (dir) =>
        `services:\n  app:\n    command: ["sh", "-c", "echo run >> ${dir}/runs; exit 1"]\n    deploy:\n      restart_policy:\n        condition: any\n        delay: 720h\n`,
    );
    const up = run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    await sleep(2_000);
    expect(lines('runs')).toBeLessThanOrEqual(2);
    const [row] = rows();
    expect(row!.Restarts).toBeLessThanOrEqual(1);
    expect(row!.State).toBe('restarting');
  });

  it('up -d --wait --wait-timeout 2592000 (30 days) waits as asked, without a timer warning', () => {
    const { run, rows } = setup(
      () => 'services:\n  app:\n    command: ["sleep", "60"]\n    healthcheck:\n      test: ["CMD", "true"]\n      interval: 200ms\n',
    );
    const up = run(['up', '-d', '--wait', '--wait-timeout', '2592000']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).not.toContain('TimeoutOverflowWarning');
    expect(rows()[0]).toMatchObject({ State: 'running', Health: 'healthy' });
  });
});

// What runs inside a container replica, through the built CLI with real
// containers (`--isolation container`): an OOM kill is an `oom` event before
// its `die` (as Docker sends them) on `tug events`, with exit 137 in ps; a
// health probe that outlives its timeout is killed with everything it
// started (none accumulate); a numeric `user:` gets its primary group among
// its groups, as Docker gives it (the same file run on `--backend docker` is
// the reference).
import { spawn } from 'node:child_process';
import { expect, it } from 'vitest';
import { tempProject, tug, tugBin } from '../helpers/cli.js';
import { containerProject, leftovers } from '../helpers/container-cli.js';
import { describeDocker, ensureTestImage, removeDockerProject, TEST_IMAGE, uniqueDockerProject } from '../helpers/docker.js';
import { describeIsolation } from '../helpers/isolation.js';
import { until } from '../helpers/native-env.js';

// Each probe records its pid (a Compose file's $$ is one $), then waits in a child far past its 300 ms timeout.
const SLOW_PROBE = ["CMD", "/bin/busybox", "sh", "-c", "echo $$$$ >> /tmp/probes; /bin/busybox sleep 77; echo slept"];

/** Of the pids listed in /tmp/probes, the ones still alive (zombies count as gone: they run nothing). */
const LIVE_PROBES = 'for p in $(cat /tmp/probes); do s=$(cut -d" " -f3 /proc/$p/stat 2>/dev/null); [ -n "$s" ] && [ "$s" != Z ] && echo $p; done; true';

const IDS = `
services:
  plain:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    user: "1000:1000"
  added:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    user: "1000:1000"
    group_add: ["5"]
`;

const groupsOf = (text: string) => text.trim().split(/\s+/).map(Number).sort((a, b) => a - b);

describeIsolation('native containers: probes and users', () => {
  it('reports an OOM kill as its own oom event before die on tug events, and exit 137 in ps', async () => {
    const p = containerProject(`
services:
  hog:
    command: ["/bin/busybox", "sh", "-c", "while [ ! -e /tmp/go ]; do /bin/busybox sleep 0.1; done; exec /bin/busybox tail -c 200000000 /dev/zero"]
    mem_limit: 16m
    memswap_limit: 16m
  marker:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
`);
    p.ok(['up', '-d']);
    const events = spawn(process.execPath, [tugBin, '-p', p.project, '--isolation', 'container', 'events', '--json'], { cwd: p.dir, env: { ...process.env, TUG_HOME: p.home }, stdio: ['ignore', 'pipe', 'inherit'] });
    const ended = new Promise<number | null>((resolve) => events.once('exit', (code) => resolve(code)));
    let out = '';
    events.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    const seen = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { action: string; service: string; id: string; attributes: Record<string, string> });
    try {
      // Listening once a restart of the marker shows (one made before it subscribed would not).
      await until(() => {
        if (seen().some((e) => e.service === 'marker' && e.action === 'start')) return true;
        p.ok(['restart', '-t', '0', 'marker']);
        return false;
      }, 'tug events to report the marker\'s restart', 30_000, 500);
      p.ok(['exec', 'hog', '/bin/busybox', 'touch', '/tmp/go']);
      await until(() => seen().some((e) => e.service === 'hog' && e.action === 'die'), 'the hog\'s die event', 30_000);
      const hog = seen().filter((e) => e.service === 'hog').map((e) => e.action);
      expect(hog.slice(-2)).toEqual(['oom', 'die']);
      expect(seen().find((e) => e.service === 'hog' && e.action === 'die')!.attributes.exitCode).toBe('137');
      const row = p.rows().find((r) => r.Service === 'hog')!;
      expect(row).toMatchObject({ State: 'exited', ExitCode: 137 });
      expect(p.ok(['ps', '-a', 'hog'])).toMatch(/Exited \(137\).*OOM killed/);
    } finally {
      events.kill('SIGINT');
    }
    expect(await ended).toBe(130);
    const recorded = p.recorded();
    p.ok(['down', '-t', '0']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('kills a health probe that outlives its timeout, with what it started: none is left running', async () => {
    const p = containerProject(`
services:
  web:
    command: ["/bin/busybox", "sleep", "600"]
    init: true
    healthcheck: {test: ${JSON.stringify(SLOW_PROBE)}, interval: 200ms, timeout: 300ms, retries: 1}
`);
    p.ok(['up', '-d']);
    await until(() => p.rows()[0]?.Health === 'unhealthy', 'the timed-out probe to make web unhealthy', 20_000);
    // Three probes have started (and two at least timed out): at most the one in flight may be alive.
    const listed = () => p.ok(['exec', 'web', '/bin/busybox', 'sh', '-c', 'cat /tmp/probes 2>/dev/null; true']).trim().split('\n').filter(Boolean);
    await until(() => listed().length >= 3, 'three probes to have run', 20_000);
    const live = p.ok(['exec', 'web', '/bin/busybox', 'sh', '-c', LIVE_PROBES]).trim().split('\n').filter(Boolean);
    const all = listed();
    expect(live.length).toBeLessThanOrEqual(1);
    for (const pid of live) expect(all.slice(-2)).toContain(pid); // only a recent one, still within its timeout
    // Nor what the probes started: at most the one in flight sleeps.
    const sleeping = Number(p.ok(['exec', 'web', '/bin/busybox', 'sh', '-c', 'busybox ps | grep -c "[s]leep 77$"; true']).trim());
    expect(sleeping).toBeLessThanOrEqual(1);
    const recorded = p.recorded();
    p.ok(['down', '-t', '1']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);

  it('user 1000:1000 has its primary group among its groups (and group_add beside it)', async () => {
    const p = containerProject(IDS);
    p.ok(['up', '-d']);
    expect(groupsOf(p.ok(['exec', 'plain', '/bin/busybox', 'id', '-G']))).toEqual([1000]);
    expect(groupsOf(p.ok(['exec', 'added', '/bin/busybox', 'id', '-G']))).toEqual([5, 1000]);
    expect(p.ok(['exec', 'plain', '/bin/busybox', 'grep', '^Groups:', '/proc/self/status']).trim()).toBe('Groups:\t1000');
    // An exec as another user gets that user's primary group too.
    expect(groupsOf(p.ok(['exec', '-u', '1001:1002', 'plain', '/bin/busybox', 'id', '-G']))).toEqual([1002]);
    const recorded = p.recorded();
    p.ok(['down', '-t', '1']);
    expect(await leftovers(p.home, p.project, recorded)).toEqual([]);
  }, 90_000);
});

describeDocker('the reference: the same users on the docker backend', () => {
  it('Docker gives user 1000:1000 the groups asserted above', async () => {
    await ensureTestImage();
    const dir = tempProject({ 'compose.yaml': IDS, 'docker.yaml': `services:\n  plain: {image: ${TEST_IMAGE}}\n  added: {image: ${TEST_IMAGE}}\n` });
    const project = uniqueDockerProject('tugids');
    const run = (args: string[]) => tug(['-p', project, '--backend', 'docker', '-f', 'compose.yaml', '-f', 'docker.yaml', ...args], { cwd: dir });
    try {
      expect(run(['up', '-d']).code).toBe(0);
      expect(groupsOf(run(['exec', 'plain', '/bin/busybox', 'id', '-G']).stdout)).toEqual([1000]);
      expect(groupsOf(run(['exec', 'added', '/bin/busybox', 'id', '-G']).stdout)).toEqual([5, 1000]);
      expect(groupsOf(run(['exec', '-u', '1001:1002', 'plain', '/bin/busybox', 'id', '-G']).stdout)).toEqual([1002]);
    } finally {
      run(['down', '-t', '0']);
      removeDockerProject(project);
    }
  }, 90_000);
});

// What only a backend that really runs processes can show, one suite for
// native and docker: a signal's exit code, exit codes on `die` events, restart
// policies, health transitions, published ports, output, and exec with its
// environment and exit code. Workloads are busybox/sh commands that behave
// the same on the host and in the busybox test image.
import { rmSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ServiceSpec } from '../../src/core/model/types.js';
import type { ObservedReplica } from '../../src/core/reconcile/observed.js';
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';
import type { ReplicaEvent } from '../../src/runtime/backend.js';
import { freePort } from '../helpers/native-env.js';
import { firstEvent, withTimeout, type ContractHarness } from './backend-contract.js';

/** A spec for this backend running `serviceSpec` (the docker harness adds its image). */
export type RuntimeSpecFor = (project: string, service: string, serviceSpec: ServiceSpec) => ReplicaSpec;

const WAIT_MS = 15_000;

export function runRuntimeContract(name: string, makeBackend: () => Promise<ContractHarness>, specFor: RuntimeSpecFor): void {
  describe(`RuntimeBackend runtime contract: ${name}`, () => {
    let h: ContractHarness;
    beforeEach(async () => {
      h = await makeBackend();
    });
    afterEach(async () => {
      await h.cleanup();
    });

    const sh = (script: string, extra: ServiceSpec = {}): ServiceSpec => ({ command: ['/bin/sh', '-c', script], ...extra });
    const observed = async (replica: ObservedReplica) => (await h.backend.replicas.observe(h.project)).replicas.find((r) => r.id === replica.id);
    /** Creates and starts; `watch` subscribes first, so nothing the replica does after start is missed. */
    const launch = async (service: string, serviceSpec: ServiceSpec, watch?: (e: ReplicaEvent, created: ObservedReplica) => boolean) => {
      const created = await h.backend.replicas.create(specFor(h.project, service, serviceSpec));
      const controller = new AbortController();
      const seen = watch ? firstEvent(h.backend.replicas.events(h.project, controller.signal), (e) => e.replica.id === created.id && watch(e, created)) : undefined;
      await h.backend.replicas.start(h.project, created.id);
      return { created, seen: seen?.finally(() => controller.abort()) };
    };

    /** Resolves once a replica of `service` has printed `text` (the workload's own readiness signal). */
    const printed = async (service: string, text: string) => {
      const controller = new AbortController();
      const found = (async () => {
        for await (const line of h.backend.io.logs(h.project, { services: [service], follow: true, signal: controller.signal })) {
          if (line.text.trim() === text) return true;
        }
        return false;
      })();
      try {
        expect(await withTimeout(found, WAIT_MS, `"${text}" in the logs of ${service}`)).toBe(true);
      } finally {
        controller.abort();
      }
    };

    it('die events carry the exit code, and observe agrees', async () => {
      const { created, seen } = await launch('failing', sh('exit 3'), (e) => e.action === 'die');
      expect((await seen)!.replica).toMatchObject({ state: 'exited', exitCode: 3 });
      expect(await observed(created)).toMatchObject({ state: 'exited', exitCode: 3 });
    });

    it('kill delivers the signal: a handler sees SIGTERM, SIGKILL ends the replica with 137', async () => {
      // PID 1 of a container ignores signals it has no handler for, so the workload installs one,
      // and says so: "running" comes before the shell has read its first line.
      const term = await launch('termed', sh('trap "exit 42" TERM; echo armed; while :; do sleep 0.2; done'), (e) => e.action === 'die');
      await printed('termed', 'armed');
      await h.backend.replicas.kill(h.project, term.created.id, 'SIGTERM');
      expect((await term.seen)!.replica.exitCode).toBe(42);
      const killed = await launch('killed', sh('trap "" TERM; echo armed; while :; do sleep 0.2; done'), (e) => e.action === 'die');
      await printed('killed', 'armed');
      await h.backend.replicas.kill(h.project, killed.created.id, 'SIGKILL');
      expect((await killed.seen)!.replica.exitCode).toBe(137);
    });

    it('a restart policy runs a failing replica again, as many times as it allows', async () => {
      const { created } = await launch('flaky', sh('exit 1', { restart: 'on-failure:2' }));
      const settled = await until(async () => {
        const r = await observed(created);
        return r && r.state === 'exited' && r.restartCount === 2 ? r : undefined;
      }, 'two restarts, then exited');
      expect(settled).toMatchObject({ exitCode: 1, restartCount: 2 });
    });

    it('health goes starting → healthy → unhealthy as the check passes, then fails', async () => {
      const flag = `/tmp/tug-contract-${h.project}-health`;
      const healthcheck = { test: ['CMD-SHELL', `test -f ${flag}`], interval: '200ms', timeout: '2s', retries: 1 };
      const { created } = await launch('checked', sh(`touch ${flag}; sleep 2; rm -f ${flag}; sleep 60`, { healthcheck }));
      const states: string[] = [];
      await until(async () => {
        const health = (await observed(created))?.health;
        if (health && states[states.length - 1] !== health) states.push(health);
        return health === 'unhealthy' ? true : undefined;
      }, 'unhealthy after the flag is gone');
      expect(states.filter((s) => s !== 'starting')).toEqual(['healthy', 'unhealthy']);
    });

    it('a published port reaches the replica and shows in observe', async () => {
      const port = await freePort();
      const www = `/tmp/tug-contract-${h.project}-www`;
      const serve = sh(`mkdir -p ${www} && echo served-by-tug > ${www}/index.html && exec /bin/busybox httpd -f -p ${port} -h ${www}`, {
        ports: [{ mode: 'ingress', target: port, published: String(port), protocol: 'tcp', host_ip: '127.0.0.1' }],
      });
      try {
        const { created } = await launch('web', serve);
        // Docker's proxy accepts before the server inside listens, then closes: an empty answer is "not yet".
        const body = await until(() => httpGet(port).then((b) => b || undefined, () => undefined), `an answer on port ${port}`);
        expect(body).toContain('served-by-tug');
        expect((await observed(created))?.ports).toEqual([{ hostIp: '127.0.0.1', published: port, target: port, protocol: 'tcp' }]);
      } finally {
        // A host-process replica wrote it on this machine (a container, in its own file system).
        rmSync(www, { recursive: true, force: true });
      }
    });

    it('logs: a replica shows the lines it printed, stdout and stderr apart', async () => {
      const { created } = await launch('talker', sh('echo hello out; echo hello err >&2; sleep 60'));
      const controller = new AbortController();
      const lines = (async () => {
        const got: { stream: string; text: string }[] = [];
        for await (const line of h.backend.io.logs(h.project, { services: ['talker'], follow: true, signal: controller.signal })) {
          got.push({ stream: line.stream, text: line.text.trim() });
          if (got.length === 2) return got;
        }
        return got;
      })();
      try {
        const got = await withTimeout(lines, WAIT_MS, 'two lines in the logs');
        expect(got.sort((a, b) => a.stream.localeCompare(b.stream))).toEqual([
          { stream: 'stderr', text: 'hello err' },
          { stream: 'stdout', text: 'hello out' },
        ]);
        expect(created.service).toBe('talker');
      } finally {
        controller.abort();
      }
    });

    it("exec runs in the replica's environment and resolves to the command's exit code", async () => {
      const { created } = await launch('shell', sh('sleep 60', { environment: { GREETING: 'hi' } }));
      await until(async () => ((await observed(created))?.state === 'running' ? true : undefined), 'running');
      const check = 'test "$GREETING" = hi && test "$EXTRA" = 1';
      expect(await h.backend.io.exec(h.project, created.id, { command: ['/bin/sh', '-c', check], env: { EXTRA: '1' } })).toBe(0);
      expect(await h.backend.io.exec(h.project, created.id, { command: ['/bin/sh', '-c', check] })).toBe(1);
      expect(await h.backend.io.exec(h.project, created.id, { command: ['/bin/sh', '-c', 'exit 7'] })).toBe(7);
    });
  });
}

async function until<T>(probe: () => Promise<T | undefined>, what: string): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function httpGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.end('GET / HTTP/1.0\r\n\r\n'));
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (body += chunk));
    socket.on('end', () => resolve(body));
    socket.on('error', reject);
  });
}

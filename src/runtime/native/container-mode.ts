// The CLI side of container mode: which replicas run as containers (decided
// with container/isolation-mode.ts and carried to the engine on the
// HostReplicaSpec), the check that this machine can run them before anything
// starts, and `exec` into a running container replica. exec runs the OCI
// runtime's `exec` from the CLI with the terminal attached: the command joins
// the container's namespaces and cgroup, so it dies with the replica (its pid
// namespace ends with its init), as issue 8 wants of every exec.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../core/errors.js';
import { exitStatus } from '../../core/model/signals.js';
import { resolveUser } from '../../core/model/user.js';
import type { NetworkSpec, ServiceSpec } from '../../core/model/types.js';
import type { ExecOptions } from '../backend.js';
import { bundleDir, runtimeRoot } from './container/container-bundle.js';
import { decideIsolation, IMAGE_ROOTFS, type IsolationSetting } from './container/isolation-mode.js';
import { execProcess } from './container/oci-config.js';
import { readTextFile } from './container/read-file.js';
import type { OciConfig } from './container/oci-spec.js';
import type { HostReplicaSpec } from './host-env.js';
import { sleep } from '../../timers.js';

/** A network the plan creates and a container service joins: its configured subnet must not collide with a host route. */
export interface NewNetwork {
  key: string;
  spec: NetworkSpec;
}

/** Configured subnets that collide with a route of this machine (a machine fact, so checked here and not at load). */
export async function hostRouteCollisions(networks: readonly NewNetwork[]): Promise<TugError[]> {
  const { readHostNetwork } = await import('./container/network/host-network.js');
  const { formatCidr, overlaps, parseCidr } = await import('./container/network/ipam.js');
  const host = readHostNetwork();
  const errors: TugError[] = [];
  for (const { key, spec } of networks) {
    (spec.ipam?.config ?? []).forEach((c, i) => {
      const net = typeof c.subnet === 'string' ? parseCidr(c.subnet) : undefined;
      const route = net && host.routes.find((r) => overlaps(r.net, net));
      if (!net || !route) return;
      errors.push(new TugError({
        code: 'network.host-route',
        message: `network "${key}" (networks.${key}.ipam.config[${i}].subnet): subnet ${formatCidr(net)} collides with this machine's route to ${formatCidr(route.net)} on ${route.device}`,
        hint: 'choose a subnet this machine does not use (see `ip route`), or leave ipam out to get a free one',
      }));
    });
  }
  return errors;
}

/** Refuses, before anything starts, container services this machine cannot run (naming what is missing and how to get it). */
export async function containerPreflight(home: string, services: Readonly<Record<string, ServiceSpec>>, setting: IsolationSetting): Promise<TugError[]> {
  if (Object.keys(services).length === 0) return [];
  const { probeCapabilities } = await import('./container/capabilities.js');
  const { shimBuilt } = await import('./container/shim/shim-binary.js');
  const { report } = await probeCapabilities({ shimBuilt: shimBuilt(home) });
  try {
    decideIsolation(services, { flag: setting, report, imageRootfs: IMAGE_ROOTFS });
    return [];
  } catch (err) {
    if (err instanceof TugError) return [err];
    throw err;
  }
}

const RELAYED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];

/** How long captured output may still arrive after the command exited. */
const OUTPUT_DRAIN_MS = 200;

/** Runs the command inside the running container replica, as its user (or -u), in its directory (or -w), with its environment (and -e). */
export async function execInContainer(home: string, spec: HostReplicaSpec, opts: ExecOptions): Promise<number> {
  if (opts.command.length === 0) throw new TugError({ code: 'native.exec-empty', message: 'exec needs a command to run', exitCode: 2 });
  const { findOciRuntime } = await import('./container/oci-runtime.js');
  const runtime = findOciRuntime();
  const dir = bundleDir(home, spec.project, spec.name);
  let config: OciConfig;
  try {
    config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as OciConfig;
  } catch {
    throw new TugError({ code: 'native.not-running', message: `replica ${spec.name} of project ${spec.project} is not running`, hint: 'start it with tug up or tug start' });
  }
  const user = opts.user ? execUser(opts.user, spec) : undefined;
  const process_ = execProcess(config.process, { args: opts.command, env: opts.env, cwd: opts.workdir, user });
  const file = join(dir, `exec-${process.pid}-${Date.now().toString(36)}.json`);
  writeFileSync(file, JSON.stringify(process_), { mode: 0o600 });
  try {
    return await new Promise<number>((resolve, reject) => {
      const child = spawn(runtime.path, ['--root', runtimeRoot(home, spec.project), 'exec', '--process', file, spec.name], {
        // With `output` (watch's exec hooks) the caller takes what it prints, and the terminal stays out of it.
        stdio: opts.output ? ['ignore', 'pipe', 'pipe'] : [opts.stdin ? 'inherit' : 'ignore', 'inherit', 'inherit'],
      });
      const output = opts.output;
      if (output) {
        child.stdout?.on('data', (chunk: Buffer) => output('stdout', chunk));
        child.stderr?.on('data', (chunk: Buffer) => output('stderr', chunk));
      }
      // The runtime passes what it receives on to the command.
      const relay = (signal: NodeJS.Signals): void => void child.kill(signal);
      for (const s of RELAYED) process.on(s, relay);
      const abort = (): void => relay('SIGTERM');
      opts.signal?.addEventListener('abort', abort, { once: true });
      if (opts.signal?.aborted) abort();
      child.once('error', (err) => reject(new TugError({ code: 'native.exec-failed', message: `cannot run ${runtime.name} exec for ${spec.name}: ${err.message}` })));
      // Captured output may still be in the pipes at exit; a command left running in the background may hold them open.
      const drained = output ? new Promise<void>((done) => child.once('close', () => done())) : Promise.resolve();
      child.once('exit', (code, signal) => {
        for (const s of RELAYED) process.off(s, relay);
        opts.signal?.removeEventListener('abort', abort);
        void Promise.race([drained, sleep(OUTPUT_DRAIN_MS)]).then(() => resolve(exitStatus(code, signal)));
      });
    });
  } finally {
    rmSync(file, { force: true });
  }
}

/** `-u NAME[:GROUP]` by the replica's own user database (the host's, for the host root). */
function execUser(user: string, spec: HostReplicaSpec): { uid: number; gid: number; additionalGids?: number[] } {
  const read = (path: string) => readTextFile(path) ?? '';
  const r = resolveUser(user, { passwd: read('/etc/passwd'), group: read('/etc/group') }, { service: spec.service });
  return { uid: r.uid, gid: r.gid, additionalGids: r.additionalGids };
}

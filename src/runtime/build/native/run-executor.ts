// The builder's StepExecutor on tug's container runtime: each RUN runs in a
// one-off runc container whose root is an overlay of the previous layers plus
// a fresh upper directory, as the step's user (resolved against the image's
// own /etc/passwd and /etc/group) in its working directory, with no network
// but loopback, or on the host's network with its resolv.conf and hosts file
// (build.network: host). Output is streamed line by line. Afterwards the
// container is deleted (its cgroup with it) and the overlay unmounted; the
// upper directory is the step's layer, and on failure or interrupt it goes
// too, so nothing is left: no mount, no cgroup, no runtime state. Mount points
// runc had to create (an image without /proc) are taken out of the layer again.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { lstat, mkdir, readdir, rm, rmdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { resolveUser } from '../../../core/model/user.js';
import type { ImageStore } from '../../images/store/image-store.js';
import { mountLayers, unmountLayers } from '../../images/rootfs/overlay.js';
import { readUserFiles } from '../../images/rootfs/image-files.js';
import { resolveInRoot } from '../../images/unpack/root-path.js';
import { parseCgroupMounts } from '../../native/container/cgroups/cgroup-layout.js';
import { removeCgroup } from '../../native/container/cgroups/cgroup-files.js';
import { startContainer } from '../../native/container/container-run.js';
import { CGROUP_ROOT, projectCgroup } from '../../native/container/names.js';
import { findOciRuntime, OciRuntime, type OciRuntimeBinary } from '../../native/container/oci-runtime.js';
import { serializeOciConfig } from '../../native/container/oci-spec.js';
import { streamLines } from '../../stream-lines.js';
import type { RunRequest, RunResult, StepExecutor } from '../interfaces.js';
import { newRunDir, sweepDeadRuns } from './build-dirs.js';
import { buildHostsFile, mountPointsOf, runContainerConfig } from './run-config.js';

export class RunExecutor implements StepExecutor {
  private readonly binary: OciRuntimeBinary;
  private swept?: Promise<void>;

  constructor(readonly store: ImageStore) {
    this.binary = findOciRuntime();
  }

  async run(req: RunRequest): Promise<RunResult> {
    this.swept ??= sweepDeadRuns(this.store, (root, id) => new OciRuntime(this.binary, root).remove(id));
    await this.swept;
    const dir = newRunDir(this.store, 'run');
    const id = dir.slice(dir.lastIndexOf('/') + 1);
    const root = join(dir, 'root');
    const upper = join(dir, 'upper');
    const bundle = join(dir, 'bundle');
    for (const d of [root, upper, join(dir, 'work'), bundle]) mkdirSync(d, { mode: 0o755 });
    const runtime = new OciRuntime(this.binary, join(dir, 'runc'));
    const cgroups = parseCgroupMounts(readFileSync('/proc/self/mountinfo', 'utf8'));
    const cgroupsPath = `${projectCgroup(this.store.home, 'build')}/${id}`;
    let keep = false;
    try {
      await mountLayers(this.store, req.rootfs.diffIds, { target: root, upper, work: join(dir, 'work'), emptyDir: dir }, 'being built');
      const user = resolveUser(req.user, await readUserFiles(root), { hint: 'create the user in an earlier RUN (adduser), or use numeric ids ("1000:1000")' });
      await ensureDir(root, req.workdir);
      const files = placeFiles(dir, req);
      const config = runContainerConfig({ root, argv: req.argv, env: req.env, user, workdir: req.workdir, shmSize: req.shmSize, files, cgroupsPath, network: req.network });
      const created = await missingPaths(root, mountPointsOf(config));
      writeFileSync(join(bundle, 'config.json'), serializeOciConfig(config), { mode: 0o600 });
      const exitCode = await this.execute(runtime, id, bundle, req);
      await runtime.remove(id);
      await unmountLayers(root);
      if (exitCode !== 0 || req.signal?.aborted) return { exitCode };
      await removeCreated(upper, created);
      if ((await readdir(upper)).length === 0) return { exitCode, diff: { kind: 'empty' } };
      keep = true;
      return { exitCode, diff: { kind: 'upperdir', path: upper } };
    } finally {
      await runtime.remove(id).catch(() => undefined);
      await unmountLayers(root);
      removeCgroup(cgroups, cgroupsPath, CGROUP_ROOT);
      // The upper directory lives on as the step's diff; the layer store removes the run directory once it has committed it.
      if (keep) await Promise.all(['root', 'work', 'bundle', 'runc', 'files'].map((d) => rm(join(dir, d), { recursive: true, force: true })));
      else await rm(dir, { recursive: true, force: true });
    }
  }

  private async execute(runtime: OciRuntime, id: string, bundle: string, req: RunRequest): Promise<number> {
    const run = await startContainer({ runtime, supervision: { kind: 'foreground' }, id, bundle }).catch((err: unknown) => {
      throw err instanceof TugError ? new TugError({ ...err.toInit(), code: 'build.run-start', message: `cannot start the RUN container: ${err.message}` }) : err;
    });
    const onAbort = () => run.signal('SIGKILL');
    if (req.signal?.aborted) onAbort();
    req.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const out = streamLines(run.stdout, (l) => req.onOutput(l, 'stdout'));
      const err = streamLines(run.stderr, (l) => req.onOutput(l, 'stderr'));
      const exit = await run.exited;
      await Promise.all([out, err]);
      return exit.code;
    } finally {
      req.signal?.removeEventListener('abort', onAbort);
    }
  }
}

/**
 * Heredoc scripts, /etc/hosts for extra_hosts, and on the host's network its
 * resolv.conf and hosts file, as host files with the targets they are bound to.
 */
function placeFiles(dir: string, req: RunRequest): { source: string; target: string }[] {
  const out: { source: string; target: string }[] = [];
  const hostNetwork = req.network === 'host';
  if (req.files.length === 0 && req.extraHosts.length === 0 && !hostNetwork) return out;
  const filesDir = join(dir, 'files');
  mkdirSync(filesDir, { mode: 0o755 });
  req.files.forEach((f, i) => {
    const source = join(filesDir, `inline-${i}`);
    writeFileSync(source, f.content, { mode: f.mode });
    out.push({ source, target: f.path });
  });
  if (req.extraHosts.length > 0 || hostNetwork) {
    const source = join(filesDir, 'hosts');
    writeFileSync(source, buildHostsFile(req.extraHosts, hostNetwork ? hostFile('/etc/hosts') : undefined), { mode: 0o644 });
    out.push({ source, target: '/etc/hosts' });
  }
  const resolvConf = hostNetwork ? hostFile('/etc/resolv.conf') : undefined;
  if (resolvConf !== undefined) {
    const source = join(filesDir, 'resolv.conf');
    writeFileSync(source, resolvConf, { mode: 0o644 });
    out.push({ source, target: '/etc/resolv.conf' });
  }
  return out;
}

/** One of the host's configuration files, or undefined when it has none. */
function hostFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** WORKDIR's directory, made (0755, root) when a RUN finds it missing, as Docker does. */
async function ensureDir(root: string, path: string): Promise<void> {
  const rel = posix.normalize(path).replace(/^\/+/, '');
  if (rel === '' || rel === '.') return;
  await mkdir(await resolveInRoot(root, rel), { recursive: true, mode: 0o755 });
}

/** The mount points (and their parents) the rootfs lacks, parents first. */
async function missingPaths(root: string, targets: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const target of targets) {
    const parts = target.split('/').filter(Boolean);
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (!(await lstat(join(root, rel)).then(() => true, () => false))) out.add(rel);
    }
  }
  return [...out];
}

/** Takes the mount points runc made out of the layer, unless the step put something there. */
async function removeCreated(upper: string, created: readonly string[]): Promise<void> {
  for (const rel of [...created].reverse()) {
    const path = join(upper, rel);
    const st = await lstat(path).catch(() => undefined);
    if (st?.isDirectory()) await rmdir(path).catch(() => undefined);
    else if (st?.isFile() && st.size === 0) await rm(path, { force: true });
  }
}

// A replica's life on the engine: create (plus the networks API 1.41 cannot
// join at create, and secret/config content copied in), start, stop, kill and
// remove. Each is one Engine API call in the common case; create answers with
// a snapshot built from what it sent, so it costs no inspect.
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { ObservedReplica } from '../../core/reconcile/observed.js';
import type { ReplicaSpec } from '../../core/reconcile/operations.js';
import { snapshotOf } from '../../core/reconcile/snapshot.js';
import { engineError, engineMessage, isConflict, isNotFound, isNotModified, statusOf } from './engine-errors.js';
import { anonymousVolumes, projectFilter } from './observe.js';
import { packBuffer } from '../tar/pack.js';
import { toCreateOptions, type CreateOptions, type FileInjection } from './to-create-options.js';

export interface CreateInputs {
  /** Targets of the image's VOLUMEs, so the container's anonymous volumes are all on record. */
  imageVolumes?: readonly string[];
}

export async function createContainer(docker: Dockerode, spec: ReplicaSpec, inputs: CreateInputs = {}): Promise<ObservedReplica> {
  const containerOf = needsPeers(spec) ? await peerContainers(docker, spec.project) : undefined;
  const options = toCreateOptions(spec, {
    containerOf: containerOf && ((service) => containerOf.get(service)),
    imageVolumes: inputs.imageVolumes,
  });
  let container: Dockerode.Container;
  try {
    container = await docker.createContainer({ name: options.name, ...options.body } as Dockerode.ContainerCreateOptions);
  } catch (err) {
    throw createError(err, spec, options);
  }
  try {
    for (const extra of options.extraNetworks) {
      await docker.getNetwork(extra.network).connect({ Container: container.id, EndpointConfig: extra.endpoint });
    }
    if (options.injections.length > 0) await container.putArchive(await injectionArchive(options.injections), { path: '/' });
  } catch (err) {
    // Half-made containers would block the next attempt with a name conflict.
    // (Inherited volumes are mounted by name, so `v` leaves them for the retry.)
    await container.remove({ force: true, v: true }).catch(() => undefined);
    throw createError(err, spec, options);
  }
  return createdSnapshot(container.id, spec, options);
}

export async function startContainer(docker: Dockerode, id: string): Promise<void> {
  try {
    await docker.getContainer(id).start();
  } catch (err) {
    if (isNotModified(err)) return; // already running
    const message = engineMessage(err);
    if (isNotFound(err) && /^network .* not found$/.test(message)) {
      // The engine checks networks at start, not at create.
      throw new TugError({ code: 'docker.no-network', message: `cannot start container ${shortId(id)}: ${message}`, hint: 'tug up creates the project networks' });
    }
    throw engineError(err, `start container ${shortId(id)}`);
  }
}

/** Stops with the container's stop signal, then SIGKILL after `timeoutMs` (rounded up to whole seconds). */
export async function stopContainer(docker: Dockerode, id: string, timeoutMs: number): Promise<void> {
  try {
    await docker.getContainer(id).stop({ t: Math.max(0, Math.ceil(timeoutMs / 1000)) });
  } catch (err) {
    if (isNotModified(err) || isNotFound(err)) return; // already stopped, or gone
    throw engineError(err, `stop container ${shortId(id)}`);
  }
}

export async function killContainer(docker: Dockerode, id: string, signal: string): Promise<void> {
  try {
    await docker.getContainer(id).kill({ signal });
  } catch (err) {
    if (isConflict(err) && /is not running/.test(engineMessage(err))) return;
    if (isNotFound(err)) return;
    throw engineError(err, `kill container ${shortId(id)}`);
  }
}

/**
 * Removes the container, and with `removeVolumes` its anonymous volumes: the
 * ones the engine made for it (`v`), and the ones it inherited from a
 * recreate, which it mounts by name and so the engine no longer counts as
 * anonymous; the label says which. Named and external volumes never go.
 */
export async function removeContainer(docker: Dockerode, id: string, removeVolumes: boolean): Promise<void> {
  const container = docker.getContainer(id);
  try {
    const own = removeVolumes ? ownAnonymousVolumes(await container.inspect()) : [];
    await container.remove({ force: true, v: removeVolumes });
    await Promise.all(own.map((name) => removeUnusedVolume(docker, name)));
  } catch (err) {
    if (isNotFound(err)) return;
    if (isConflict(err) && /already in progress/.test(engineMessage(err))) return;
    throw engineError(err, `remove container ${shortId(id)}`);
  }
}

function ownAnonymousVolumes(info: Dockerode.ContainerInspectInfo): string[] {
  return Object.values(anonymousVolumes(info.Config.Labels ?? {}, info.Mounts));
}

/** A volume another container still mounts (volumes_from) is left to it. */
async function removeUnusedVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (isNotFound(err) || isConflict(err)) return;
    throw engineError(err, `remove volume ${name}`);
  }
}

/** True when the container publishes a host port range (inspect; for containers this process did not create). */
export async function publishesPortRangeById(docker: Dockerode, id: string): Promise<boolean> {
  try {
    const info = await docker.getContainer(id).inspect();
    const bindings = (info.HostConfig?.PortBindings ?? {}) as Record<string, { HostPort?: string }[] | null>;
    return Object.values(bindings).some((list) => (list ?? []).some((b) => b.HostPort?.includes('-') ?? false));
  } catch {
    return true; // unknown: serialise to be safe
  }
}

/** A 64-hex container ID as the 12 characters docker prints; names unchanged. */
export function shortId(id: string): string {
  return /^[0-9a-f]{64}$/.test(id) ? id.slice(0, 12) : id;
}

function needsPeers(spec: ReplicaSpec): boolean {
  const svc = spec.service_spec;
  const refs = [svc.network_mode, svc.ipc, svc.pid, svc.uts].some((v) => typeof v === 'string' && v.startsWith('service:'));
  return refs || (svc.links?.length ?? 0) > 0 || (svc.volumes_from ?? []).some((v) => !v.startsWith('container:'));
}

/** service → the container another service refers to: its lowest-numbered replica, running ones first. */
async function peerContainers(docker: Dockerode, project: string): Promise<Map<string, string>> {
  const listed = await docker.listContainers({ all: true, filters: projectFilter(project) });
  const rank = (c: Dockerode.ContainerInfo) => (c.State === 'running' ? 0 : 1) * 1e6 + Number(c.Labels[LABEL.number] ?? 1e5);
  const out = new Map<string, string>();
  for (const c of [...listed].sort((a, b) => rank(a) - rank(b))) {
    if (c.Labels[LABEL.oneoff] === 'True') continue;
    const service = c.Labels[LABEL.service];
    if (service && !out.has(service)) out.set(service, c.Id);
  }
  return out;
}

function createError(err: unknown, spec: ReplicaSpec, options: CreateOptions): Error {
  const message = engineMessage(err);
  if (isConflict(err) && /already in use/.test(message)) {
    return new TugError({
      code: 'docker.name-conflict',
      message: `container name "${spec.name}" is already in use`,
      hint: 'remove the other container (tug down, or docker rm), or set another container_name',
    });
  }
  if (isNotFound(err) && /network/i.test(message)) {
    const network = [options.body.HostConfig.NetworkMode, ...options.extraNetworks.map((n) => n.network)].find(
      (n) => n !== undefined && message.includes(n),
    );
    if (network && spec.externalNetworks.includes(network)) return externalMissing('network', network);
    return new TugError({ code: 'docker.no-network', message: `cannot create container ${spec.name}: ${message}`, hint: 'run tug up to create the project networks' });
  }
  if (isNotFound(err) && /image/i.test(message)) {
    return new TugError({
      code: 'docker.no-image',
      message: `image "${options.body.Image}" of service "${spec.service}" is not on the engine`,
      hint: 'tug up pulls or builds missing images; with pull_policy: never, build or load it first',
    });
  }
  return statusOf(err) === undefined ? (err as Error) : engineError(err, `create container ${spec.name}`);
}

export function externalMissing(kind: 'network' | 'volume', name: string): TugError {
  return new TugError({
    code: `docker.external-${kind}`,
    message: `${kind} ${name} declared as external, but could not be found`,
    hint: `create it first (docker ${kind} create ${name}), or remove external: true`,
  });
}

function createdSnapshot(id: string, spec: ReplicaSpec, options: CreateOptions): ObservedReplica {
  return snapshotOf(spec, {
    id,
    state: 'created',
    createdAt: new Date().toISOString(),
    labels: options.body.Labels,
    image: options.body.Image,
    command: [...(options.body.Entrypoint ?? []), ...(options.body.Cmd ?? [])].join(' ') || undefined,
  });
}

/** The files as one archive unpacked at "/"; the engine creates missing parent directories. */
function injectionArchive(files: readonly FileInjection[]): Promise<Buffer> {
  const mtime = Date.now() / 1000;
  return packBuffer(
    files.map((f) => ({
      name: f.path.replace(/^\/+/, ''),
      type: 'file' as const,
      mode: f.mode ?? 0o444,
      uid: f.uid,
      gid: f.gid,
      mtime,
      body: Buffer.from(f.content),
    })),
  );
}

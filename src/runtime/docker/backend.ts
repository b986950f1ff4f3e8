// The Docker Engine as a RuntimeBackend (API 1.41 and later). Replicas are
// containers carrying Compose's labels, so `docker compose` and tug see the
// same projects. Calls run in parallel, except the starts of containers that
// publish host port ranges: the engine picks ports from a range
// non-atomically, so those starts take turns.
import { Readable, Writable } from 'node:stream';
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { Project } from '../../core/model/types.js';
import type { ObservedReplica, ObservedState } from '../../core/reconcile/observed.js';
import type { Plan, ReplicaSpec } from '../../core/reconcile/operations.js';
import { externalResourcesOf } from '../../core/reconcile/resources.js';
import type {
  BackendCapabilities,
  ExecOptions,
  FileSyncFacet,
  ImageFacet,
  ProjectSummary,
  ReplicaFacet,
  ReplicaIOFacet,
  ResourceFacet,
  RuntimeBackend,
} from '../backend.js';
import { openConnection, type DockerConnection, type DockerEnv } from './connection.js';
import * as containers from './containers.js';
import { engineError } from './engine-errors.js';
import { replicaEvents } from './events.js';
import { execInContainer, type ExecStdio } from './exec.js';
import { prepareImages, removeUnusedImages } from './images.js';
import { containerSizes, listServiceImages, pullServiceImages, removeImages } from './project-images.js';
import { readLogs } from './logs.js';
import * as resources from './networks-volumes.js';
import { findVolumes, listProjects, observeProject } from './observe.js';
import type { EngineLister } from './engine-reader.js';
import { imageName, publishesPortRange } from './to-create-options.js';
import { validateForDocker } from './validate.js';

export interface DockerBackendOptions {
  /** Where DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH) come from. */
  env?: DockerEnv;
  /** stdio for exec; defaults to the process's. */
  stdio?: ExecStdio;
}

export function createDockerBackend(opts: DockerBackendOptions = {}): DockerBackend {
  return new DockerBackend(opts);
}

export class DockerBackend implements RuntimeBackend {
  readonly name = 'docker';
  readonly capabilities: BackendCapabilities = { images: true, runsImages: true, build: true, fileSync: true, defaultParallelism: 16 };
  readonly connection: DockerConnection;
  /** Containers this backend created, and whether they publish a host port range. */
  private readonly portRange = new Map<string, boolean>();
  private startTurn: Promise<void> = Promise.resolve();
  /** The VOLUME targets of images, by image ID (an ID never changes what it names). */
  private readonly imageVolumes = new Map<string, Promise<string[]>>();
  /** Aborted by close(): ends every event and log stream still open, so the process can exit. */
  private closing = new AbortController();
  private readonly stdio: ExecStdio | undefined;

  constructor(opts: DockerBackendOptions = {}) {
    this.connection = openConnection(opts.env ?? {});
    this.stdio = opts.stdio;
  }

  /** True when the engine answers a ping. */
  available(): Promise<boolean> {
    return this.connection.available();
  }

  readonly replicas: ReplicaFacet = {
    observe: (project) => this.read(`observe project ${project}`, (r) => observeProject(r, project)),
    events: (project, signal, opts = {}) =>
      replicaEvents(this.connection.ready(), project, this.untilClosed(signal), this.connection.endpoint, opts.since),
    create: (spec) => this.createReplica(spec),
    start: (_project, id) => this.startReplica(id),
    stop: (_project, id, timeoutMs) => this.call(`stop container ${containers.shortId(id)}`, (d) => containers.stopContainer(d, id, timeoutMs)),
    kill: (_project, id, signal) => this.call(`kill container ${containers.shortId(id)}`, (d) => containers.killContainer(d, id, signal)),
    remove: async (_project, id, opts) => {
      await this.call(`remove container ${containers.shortId(id)}`, (d) => containers.removeContainer(d, id, opts.removeVolumes));
      this.portRange.delete(id);
    },
    diskUsage: (project, ids) => this.call(`measure containers of project ${project}`, (d) => containerSizes(d, project, ids)),
  };

  readonly resources: ResourceFacet = {
    createNetwork: (project, key, name, spec) => this.call(`create network ${name}`, (d) => resources.createNetwork(d, project, key, name, spec)),
    removeNetwork: (_project, name) => this.call(`remove network ${name}`, (d) => resources.removeNetwork(d, name)),
    createVolume: (project, key, name, spec) => this.call(`create volume ${name}`, (d) => resources.createVolume(d, project, key, name, spec)),
    removeVolume: (_project, name) => this.call(`remove volume ${name}`, (d) => resources.removeVolume(d, name)),
    findVolumes: (names) => this.read(`list volumes ${names.join(', ')}`, (r) => findVolumes(r, names)),
    volumeRemovalHint: (names) => `docker volume rm ${names.join(' ')}`,
  };

  readonly io: ReplicaIOFacet = {
    logs: (project, opts) => {
      const connection = this.connection;
      const signal = this.untilClosed(opts.signal);
      return (async function* () {
        yield* readLogs(await connection.ready(), project, { ...opts, signal }, connection.endpoint);
      })();
    },
    exec: (_project, id, opts) => {
      const stdio = opts.output ? capturedStdio(opts.output) : (this.stdio ?? { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr });
      return this.call(`exec in container ${containers.shortId(id)}`, (d) => execInContainer(d, id, opts, stdio));
    },
  };

  readonly images: ImageFacet = {
    prepare: async (project, services, opts) => prepareImages(await this.docker(), project, services, opts),
    pull: async (project, services, opts) => pullServiceImages(await this.docker(), project, services, opts),
    list: (project, services) => this.call(`list images of project ${project.name}`, (d) => listServiceImages(d, project, services)),
    remove: (names) => this.call('remove images', (d) => removeImages(d, names)),
    removeUnused: async (ids) => removeUnusedImages(await this.docker(), ids),
  };

  /** Watch's syncs: a tar of the changed files into each container, deletions removed there (file-sync.ts). */
  readonly files: FileSyncFacet = {
    checkRule: async () => ({ kind: 'copy' }),
    sync: async (_project, replicas, change) => {
      const { syncFilesToContainers } = await import('./file-sync.js');
      const results = await syncFilesToContainers(await this.docker(), replicas, change.paths);
      return results.map((r, i) => ({ replicaId: replicas[i]!.id, copied: r.copied, removed: r.removed, ms: r.ms, ...(r.error && { error: r.error }) }));
    },
  };

  validate(project: Project): TugError[] {
    return validateForDocker(project);
  }

  /** External networks and volumes the plan's replicas use must exist: the engine would create a missing volume silently. */
  async preflight(plan: Plan, _observed: ObservedState): Promise<TugError[]> {
    const { networks, volumes } = externalResourcesOf(plan);
    if (networks.length === 0 && volumes.length === 0) return [];
    const docker = await this.docker();
    const checks = [...networks.map((n) => resources.requireNetwork(docker, n)), ...volumes.map((v) => resources.requireVolume(docker, v))];
    const results = await Promise.allSettled(checks);
    return results.flatMap((r) => (r.status === 'rejected' ? [asTugError(r.reason)] : []));
  }

  async listProjects(): Promise<ProjectSummary[]> {
    return this.read('list projects', (r) => listProjects(r));
  }

  /** A read through the light client (no dockerode load), failures worded as for `call`. */
  private async read<T>(doing: string, fn: (reader: EngineLister) => Promise<T>): Promise<T> {
    try {
      return await fn(this.connection.reader);
    } catch (err) {
      throw engineError(err, doing, this.connection.endpoint);
    }
  }

  private async createReplica(spec: ReplicaSpec): Promise<ObservedReplica> {
    const imageVolumes = await this.imageVolumesOf(spec);
    const created = await this.call(`create container ${spec.name}`, (d) => containers.createContainer(d, spec, { imageVolumes }));
    const range = publishesPortRange(spec.service_spec);
    this.portRange.set(created.id, range);
    this.portRange.set(created.name, range);
    return created;
  }

  private async startReplica(id: string): Promise<void> {
    const docker = await this.docker();
    const range = this.portRange.get(id) ?? (await containers.publishesPortRangeById(docker, id));
    if (!range) return this.call(`start container ${containers.shortId(id)}`, (d) => containers.startContainer(d, id));
    // One at a time: each start waits for the previous port-range start to settle.
    const turn = this.startTurn.then(() => this.call(`start container ${containers.shortId(id)}`, (d) => containers.startContainer(d, id)));
    this.startTurn = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    this.closing.abort();
    this.closing = new AbortController();
    this.portRange.clear();
    this.imageVolumes.clear();
  }

  /**
   * The image's VOLUME targets, so the label written at create lists every
   * anonymous volume the container gets. An image that cannot be inspected
   * yields none: the create then fails with its own, clearer error.
   */
  private async imageVolumesOf(spec: ReplicaSpec): Promise<string[]> {
    const image = spec.labels[LABEL.image] ?? imageName(spec.project, spec.service, spec.service_spec);
    const cached = this.imageVolumes.get(image);
    if (cached) return cached;
    const found = this.docker()
      .then((d) => d.getImage(image).inspect())
      .then((info) => Object.keys(info.Config?.Volumes ?? {}), () => []);
    // Only an image ID is sure to name the same image next time.
    if (spec.labels[LABEL.image]) this.imageVolumes.set(image, found);
    return found;
  }

  private untilClosed(signal: AbortSignal | undefined): AbortSignal {
    return signal ? AbortSignal.any([signal, this.closing.signal]) : this.closing.signal;
  }

  private docker(): Promise<Dockerode> {
    return this.connection.ready();
  }

  /** Runs one engine operation; failures become TugErrors that say what tug was doing. */
  private async call<T>(doing: string, fn: (docker: Dockerode) => Promise<T>): Promise<T> {
    const docker = await this.docker();
    try {
      return await fn(docker);
    } catch (err) {
      throw engineError(err, doing, this.connection.endpoint);
    }
  }
}

/** stdio for a command whose output is the caller's (watch's exec hooks): nothing read, everything handed over. */
function capturedStdio(output: NonNullable<ExecOptions['output']>): ExecStdio {
  const sink = (stream: 'stdout' | 'stderr') => new Writable({ write: (chunk: Buffer, _enc, done) => (output(stream, chunk), done()) });
  return { stdin: Readable.from([]), stdout: sink('stdout'), stderr: sink('stderr') };
}

function asTugError(err: unknown): TugError {
  return err instanceof TugError ? err : new TugError({ code: 'docker.preflight', message: (err as Error).message ?? String(err) });
}

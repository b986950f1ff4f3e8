// Where the Docker Engine is and one client for it. The endpoint comes from
// the DOCKER_HOST of the environment we are given (never process.env), so a
// test or a programmatic caller can point tug at another engine. The engine is
// pinged once before the first call; when it does not answer, the user gets a
// TugError naming the endpoint instead of a socket stack trace.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import { isConnectionFailure, unreachable } from './engine-errors.js';
import { engineReader, type EngineLister } from './engine-reader.js';

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

export type DockerEnv = Readonly<Record<string, string | undefined>>;

/** How to reach the engine, in dockerode's (docker-modem's) terms. */
export interface EndpointOptions {
  socketPath?: string;
  host?: string;
  port?: number;
  protocol?: 'http' | 'https';
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export interface DockerConnection {
  /** The endpoint as a user would write it, e.g. "unix:///var/run/docker.sock". */
  readonly endpoint: string;
  /** The client; resolves once the engine has answered a ping. */
  ready(): Promise<Dockerode>;
  /** True when the engine answers; never throws. */
  available(): Promise<boolean>;
  /** Listing and inspecting without loading dockerode (see engine-reader.ts). */
  readonly reader: EngineLister;
}

/** DOCKER_HOST → endpoint options. Unsupported schemes are a TugError. */
export function parseDockerHost(env: DockerEnv): { endpoint: string; options: EndpointOptions } {
  const raw = env.DOCKER_HOST?.trim() || DEFAULT_DOCKER_HOST;
  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length) || '/var/run/docker.sock';
    return { endpoint: `unix://${socketPath}`, options: { socketPath } };
  }
  if (raw.startsWith('npipe://')) return { endpoint: raw, options: { socketPath: raw.slice('npipe://'.length) } };
  const withScheme = raw.includes('://') ? raw : `tcp://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw badHost(raw);
  }
  if (url.protocol !== 'tcp:' && url.protocol !== 'http:' && url.protocol !== 'https:') throw badHost(raw);
  const tls = (env.DOCKER_TLS_VERIFY ?? '') !== '' || url.protocol === 'https:' || url.port === '2376';
  const options: EndpointOptions = {
    host: url.hostname,
    port: Number(url.port || (tls ? 2376 : 2375)),
    protocol: tls ? 'https' : 'http',
  };
  if (tls) Object.assign(options, readCertificates(env.DOCKER_CERT_PATH || join(env.HOME ?? homedir(), '.docker')));
  return { endpoint: `tcp://${url.hostname}:${options.port}`, options };
}

function badHost(raw: string): TugError {
  return new TugError({
    code: 'docker.bad-host',
    message: `DOCKER_HOST "${raw}" is not an endpoint tug can use`,
    expected: 'unix:///path/to/docker.sock or tcp://host:port',
    hint: 'ssh:// endpoints are not supported; forward the socket with `ssh -L` and use tcp:// or unix://',
  });
}

function readCertificates(dir: string): Pick<EndpointOptions, 'ca' | 'cert' | 'key'> {
  const read = (name: string) => {
    try {
      return readFileSync(join(dir, name));
    } catch {
      return undefined;
    }
  };
  return { ca: read('ca.pem'), cert: read('cert.pem'), key: read('key.pem') };
}

export function openConnection(env: DockerEnv): DockerConnection {
  const { endpoint, options } = parseDockerHost(env);
  let pinged: Promise<Dockerode> | undefined;

  const ready = (): Promise<Dockerode> => {
    pinged ??= createClient(options).then(async (client) => {
      await client.ping();
      return client;
    }).then(
      (client) => client,
      (err: unknown) => {
        pinged = undefined; // the next command may find the engine up
        throw isConnectionFailure(err) ? unreachable(endpoint, err) : err;
      },
    );
    return pinged;
  };
  const reader = engineReader(options);
  const readerWithErrors: EngineLister = {
    listContainers: (o) => reader.listContainers(o).catch(rethrow),
    listNetworks: (o) => reader.listNetworks(o).catch(rethrow),
    listVolumes: (o) => reader.listVolumes(o).catch(rethrow),
    getContainer: (id) => ({ inspect: () => reader.getContainer(id).inspect().catch(rethrow) }),
  };
  function rethrow(err: unknown): never {
    throw isConnectionFailure(err) ? unreachable(endpoint, err) : err;
  }
  return {
    endpoint,
    ready,
    available: () => ready().then(() => true, () => false),
    reader: readerWithErrors,
  };
}

/** dockerode is loaded on first use: commands that only list never pay for it. */
async function createClient(options: EndpointOptions): Promise<Dockerode> {
  const { default: DockerodeClass } = await import('dockerode');
  // Every key is given, so docker-modem's own defaults (read from process.env) do not leak in.
  return new DockerodeClass({
    socketPath: options.socketPath,
    host: options.host,
    port: options.port,
    protocol: options.protocol,
    ca: options.ca,
    cert: options.cert,
    key: options.key,
  } as Dockerode.DockerOptions);
}

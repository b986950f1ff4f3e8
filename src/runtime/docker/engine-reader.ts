// The read-only calls `ps`, `ls` and every observe make, as plain HTTP GETs.
// dockerode pulls in ssh2 and gRPC when it loads (about 150 ms here), which
// `tug ps` cannot afford; listing needs none of that. Writes, streams, exec and
// builds still go through dockerode. Failures look like dockerode's (statusCode,
// json, code), so engine-errors.ts reads both the same way.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type Dockerode from 'dockerode';
import type { EndpointOptions } from './connection.js';

/** The listing calls observe.ts needs, shaped like dockerode's. */
export interface EngineLister {
  listContainers(opts: { all?: boolean; filters?: Record<string, string[]> }): Promise<Dockerode.ContainerInfo[]>;
  listNetworks(opts: { filters?: Record<string, string[]> }): Promise<Dockerode.NetworkInspectInfo[]>;
  listVolumes(opts: { filters?: Record<string, string[]> }): Promise<{ Volumes: Dockerode.VolumeInspectInfo[] }>;
  getContainer(id: string): { inspect(): Promise<Dockerode.ContainerInspectInfo> };
}

export function engineReader(options: EndpointOptions): EngineLister {
  const get = <T>(path: string, query: Record<string, string> = {}) => getJson<T>(options, path, query);
  const filters = (f?: Record<string, string[]>): Record<string, string> => (f ? { filters: JSON.stringify(f) } : {});
  return {
    listContainers: (o) => get('/containers/json', { ...(o.all ? { all: '1' } : {}) as Record<string, string>, ...filters(o.filters) }),
    listNetworks: (o) => get('/networks', filters(o.filters)),
    listVolumes: (o) => get('/volumes', filters(o.filters)),
    getContainer: (id) => ({ inspect: () => get(`/containers/${encodeURIComponent(id)}/json`) }),
  };
}

function getJson<T>(options: EndpointOptions, path: string, query: Record<string, string>): Promise<T> {
  const search = new URLSearchParams(query).toString();
  const request = options.protocol === 'https' ? httpsRequest : httpRequest;
  return new Promise<T>((resolve, reject) => {
    const req = request(
      {
        socketPath: options.socketPath,
        host: options.socketPath ? undefined : options.host,
        port: options.socketPath ? undefined : options.port,
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        method: 'GET',
        path: search ? `${path}?${search}` : path,
        headers: { accept: 'application/json' },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown;
          try {
            body = text === '' ? null : JSON.parse(text);
          } catch {
            body = null;
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(body as T);
          else {
            const message = (body as { message?: string } | null)?.message ?? text;
            reject(Object.assign(new Error(`(HTTP code ${status}) ${message}`), { statusCode: status, json: body }));
          }
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

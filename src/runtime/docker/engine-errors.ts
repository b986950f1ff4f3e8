// Engine API failures as tug errors. dockerode rejects with an Error carrying
// `statusCode` and the engine's JSON body; socket failures carry a `code`.
// These helpers read both without letting dockerode's shapes escape.
import { TugError } from '../../core/errors.js';

interface EngineFailure {
  statusCode?: number;
  code?: string;
  json?: { message?: string } | null;
  reason?: string;
  message?: string;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'EACCES', 'ECONNRESET', 'EHOSTUNREACH', 'ENOTFOUND', 'ETIMEDOUT', 'EPIPE']);

export function statusOf(err: unknown): number | undefined {
  return (err as EngineFailure | undefined)?.statusCode;
}

export const isNotFound = (err: unknown): boolean => statusOf(err) === 404;
export const isConflict = (err: unknown): boolean => statusOf(err) === 409;
export const isNotModified = (err: unknown): boolean => statusOf(err) === 304;

export function isConnectionFailure(err: unknown): boolean {
  const code = (err as EngineFailure | undefined)?.code;
  return typeof code === 'string' && CONNECTION_CODES.has(code);
}

/** The engine's own words ("No such container: x"), without dockerode's "(HTTP code 404) …" wrapping. */
export function engineMessage(err: unknown): string {
  const failure = err as EngineFailure | undefined;
  const fromBody = failure?.json && typeof failure.json === 'object' ? failure.json.message : undefined;
  if (fromBody) return fromBody.trim();
  const text = failure?.message ?? String(err);
  return text.replace(/^\(HTTP code \d+\)\s*[^-]*-\s*/, '').trim();
}

export function unreachable(endpoint: string, cause: unknown): TugError {
  const code = (cause as EngineFailure | undefined)?.code;
  const denied = code === 'EACCES';
  return new TugError({
    code: 'docker.unreachable',
    message: denied
      ? `permission denied on the Docker Engine at ${endpoint}`
      : `cannot reach the Docker Engine at ${endpoint}: is dockerd running?`,
    hint: denied
      ? 'add your user to the docker group, or run tug with enough rights for the socket'
      : 'start it (e.g. `sudo systemctl start docker`), point DOCKER_HOST at a running engine, or use --backend native',
  });
}

/** Any engine failure as a TugError: `doing` says what tug was doing ("create container web-1"). */
export function engineError(err: unknown, doing: string, endpoint?: string): Error {
  if (err instanceof TugError) return err;
  if (isConnectionFailure(err) && endpoint) return unreachable(endpoint, err);
  const status = statusOf(err);
  if (status === undefined) return err instanceof Error ? err : new Error(String(err));
  return new TugError({
    code: `docker.api-${status}`,
    message: `cannot ${doing}: ${engineMessage(err)}`,
  });
}

// A small client for the registry HTTP API (distribution spec) on Node's fetch,
// for one repository. It answers challenges (Basic, or Bearer tokens from the
// realm, anonymous or with the user's credentials), retries what is worth
// retrying (connection resets, 5xx, 429 honouring Retry-After), follows
// redirects itself so Authorization never goes to another host, and fetches
// blobs from an offset for resumes. Mirrors are tried in order until one
// serves the manifest; the blobs then come from the same place.
import { TugError } from '../../../core/errors.js';
import { MANIFEST_ACCEPT, MAX_MANIFEST_BYTES } from '../../../core/images/manifest.js';
import { parseChallenges, registryEndpoints, type AuthChallenge, type RegistryEndpoint, type RegistryEnv } from '../../../core/images/registry-hosts.js';
import { sleep } from '../../../timers.js';
import type { BlobChunks } from '../store/blobs.js';
import type { RegistryCredentials } from './credentials.js';

export interface RegistryClientOptions {
  env: RegistryEnv;
  credentials?: RegistryCredentials;
  /** "pull" or "pull,push". */
  actions?: string;
  signal?: AbortSignal;
  /** Base delay of the retry backoff (ms); tests shorten it. */
  retryDelayMs?: number;
}

export interface FetchedManifest {
  bytes: Buffer;
  mediaType: string;
  /** Docker-Content-Digest when the registry sent one. */
  digest?: string;
}

const MAX_ATTEMPTS = 5;
const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 60_000;

export class RegistryClient {
  private readonly endpoints: RegistryEndpoint[];
  private endpoint: RegistryEndpoint;
  private authorization?: string;

  constructor(
    readonly domain: string,
    readonly repository: string,
    private readonly opts: RegistryClientOptions,
  ) {
    this.endpoints = registryEndpoints(domain, opts.env);
    this.endpoint = this.endpoints[this.endpoints.length - 1]!;
  }

  /** GET the manifest for a tag or digest, trying mirrors first (for docker.io). */
  async getManifest(reference: string): Promise<FetchedManifest> {
    let lastError: unknown;
    for (const endpoint of this.endpoints) {
      this.endpoint = endpoint;
      try {
        const res = await this.send(`/v2/${this.repository}/manifests/${reference}`, { headers: { accept: MANIFEST_ACCEPT } });
        if (res.status === 404) throw await this.failure(res, `${this.repository}:${reference}`);
        if (!res.ok) throw await this.failure(res, `manifest ${reference}`);
        const length = Number(res.headers.get('content-length') ?? 0);
        if (length > MAX_MANIFEST_BYTES) throw new TugError({ code: 'image.manifest-too-big', message: `the manifest of ${this.repository}:${reference} is ${length} bytes; tug reads at most 4 MiB` });
        const bytes = Buffer.from(await res.arrayBuffer());
        if (bytes.length > MAX_MANIFEST_BYTES) throw new TugError({ code: 'image.manifest-too-big', message: `the manifest of ${this.repository}:${reference} is bigger than 4 MiB` });
        return { bytes, mediaType: (res.headers.get('content-type') ?? '').split(';')[0]!.trim(), ...(res.headers.get('docker-content-digest') && { digest: res.headers.get('docker-content-digest')! }) };
      } catch (err) {
        lastError = err;
        if (!endpoint.mirror) break;
      }
    }
    throw lastError;
  }

  /** A blob from `offset` (for ingestBlob): the start is 0 when the server ignored the range. */
  async blob(digest: string, offset: number): Promise<BlobChunks> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    let res = await this.send(`/v2/${this.repository}/blobs/${digest}`, { headers });
    if (res.status === 416 && offset > 0) {
      await res.body?.cancel();
      res = await this.send(`/v2/${this.repository}/blobs/${digest}`, {});
    }
    if (!res.ok) throw await this.failure(res, `blob ${digest}`);
    let start = 0;
    if (res.status === 206) {
      const m = /^bytes (\d+)-/.exec(res.headers.get('content-range') ?? '');
      start = m ? Number(m[1]) : -1;
      if (start !== offset) {
        await res.body?.cancel();
        return this.blob(digest, 0);
      }
    }
    if (!res.body) throw new TugError({ code: 'image.registry-error', message: `registry ${this.domain} sent no body for blob ${digest}` });
    return { start, chunks: res.body as unknown as AsyncIterable<Uint8Array> };
  }

  private async send(path: string, init: RequestInit): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.endpoint.base}${path}`;
    let res = await this.followRedirects(url, init);
    if (res.status !== 401) return res;
    const challenges = parseChallenges(res.headers.get('www-authenticate'));
    await res.body?.cancel();
    // Also when we had a token: it may have expired (60 s by default) during a long pull.
    await this.authenticate(challenges);
    res = await this.followRedirects(url, init);
    if (res.status === 401) {
      await res.body?.cancel();
      throw this.refused();
    }
    return res;
  }

  /** Redirects by hand: the Authorization header stays with the registry's own origin. */
  private async followRedirects(url: string, init: RequestInit): Promise<Response> {
    let current = new URL(url);
    const origin = current.origin;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const headers = new Headers(init.headers);
      if (this.authorization && current.origin === origin) headers.set('authorization', this.authorization);
      const res = await this.fetchWithRetry(current, { ...init, headers, redirect: 'manual' });
      if (res.status < 300 || res.status >= 400 || !res.headers.get('location')) return res;
      await res.body?.cancel();
      current = new URL(res.headers.get('location')!, current);
    }
    throw new TugError({ code: 'image.registry-error', message: `registry ${this.domain} redirected more than ${MAX_REDIRECTS} times for ${url}` });
  }

  private async fetchWithRetry(url: URL, init: RequestInit): Promise<Response> {
    const base = this.opts.retryDelayMs ?? 1000;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await fetch(url, { ...init, ...(this.opts.signal && { signal: this.opts.signal }) });
      } catch (err) {
        if (this.opts.signal?.aborted) throw this.opts.signal.reason ?? err;
        const code = networkCode(err);
        // A refused connection is an address problem more often than a hiccup: retry once only.
        // Anything that is not a network failure (a bad port, a bad URL) is not retried at all.
        const limit = code === 'ECONNREFUSED' || code === 'ENOTFOUND' ? 2 : code && TRANSIENT.has(code) ? MAX_ATTEMPTS : 1;
        if (attempt >= limit || (init.body !== undefined && init.body !== null)) throw this.unreachable(url, err);
        await sleep(base * 2 ** (attempt - 1), this.opts.signal);
        continue;
      }
      const retriable = res.status === 429 || res.status === 502 || res.status === 503 || res.status === 504;
      if (!retriable || attempt >= MAX_ATTEMPTS || (init.body !== undefined && init.body !== null)) return res;
      const after = retryAfterMs(res.headers.get('retry-after'));
      await res.body?.cancel();
      await sleep(Math.min(after ?? base * 2 ** (attempt - 1), MAX_RETRY_AFTER_MS), this.opts.signal);
    }
  }

  private async authenticate(challenges: AuthChallenge[]): Promise<void> {
    const creds = this.opts.credentials;
    const bearer = challenges.find((c) => c.scheme === 'bearer');
    if (bearer?.params.realm) {
      this.authorization = `Bearer ${await this.token(bearer)}`;
      return;
    }
    if (challenges.some((c) => c.scheme === 'basic')) {
      if (!creds?.username) throw this.needsLogin();
      this.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
      return;
    }
    throw new TugError({ code: 'image.registry-auth', message: `registry ${this.domain} asks for an authentication scheme tug does not speak (${challenges.map((c) => c.scheme).join(', ') || 'none given'})` });
  }

  /** A token from the challenge's realm (distribution token spec; OAuth2 for identity tokens). */
  private async token(challenge: AuthChallenge): Promise<string> {
    const creds = this.opts.credentials;
    const realm = new URL(challenge.params.realm!);
    const scope = `repository:${this.repository}:${this.opts.actions ?? 'pull'}`;
    let res: Response;
    if (creds?.identityToken) {
      const form = new URLSearchParams({ grant_type: 'refresh_token', refresh_token: creds.identityToken, client_id: 'tug', scope });
      if (challenge.params.service) form.set('service', challenge.params.service);
      res = await this.fetchWithRetry(realm, { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    } else {
      if (challenge.params.service) realm.searchParams.set('service', challenge.params.service);
      realm.searchParams.append('scope', scope);
      const headers: Record<string, string> = {};
      if (creds?.username) {
        realm.searchParams.set('account', creds.username);
        headers.authorization = `Basic ${Buffer.from(`${creds.username}:${creds.password ?? ''}`).toString('base64')}`;
      }
      res = await this.fetchWithRetry(realm, { headers });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw this.refused();
    }
    if (!res.ok) throw await this.failure(res, 'token');
    const body = (await res.json().catch(() => ({}))) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new TugError({ code: 'image.registry-auth', message: `the token service of ${this.domain} (${realm.origin}) sent no token` });
    return token;
  }

  private refused(): TugError {
    const creds = this.opts.credentials;
    if (!creds) return this.needsLogin();
    return new TugError({
      code: 'image.registry-auth',
      message: `registry ${this.domain} refused the credentials${creds.username ? ` of user "${creds.username}"` : ''} for ${this.repository}`,
      hint: `check them with: docker login ${this.domain}`,
    });
  }

  private needsLogin(): TugError {
    return new TugError({
      code: 'image.registry-auth',
      message: `registry ${this.domain} requires credentials to pull ${this.repository}, and none are configured`,
      hint: `log in with: docker login ${this.domain} (tug reads ~/.docker/config.json)`,
    });
  }

  private unreachable(url: URL, err: unknown): TugError {
    const code = networkCode(err);
    const cause = (err as { cause?: Error }).cause;
    const why = code === 'ECONNREFUSED' ? 'connection refused' : code === 'ENOTFOUND' ? 'unknown host' : code ?? cause?.message ?? (err as Error).message;
    const tlsHint = url.protocol === 'https:' && /EPROTO|SSL|wrong version/i.test(String(code) + String(cause?.message))
      ? '; if it speaks plain HTTP, list it in TUG_INSECURE_REGISTRIES'
      : '';
    return new TugError({
      code: 'image.registry-unreachable',
      message: `cannot reach registry ${this.domain} at ${url.origin}: ${why}${tlsHint}`,
      hint: 'check the image name and that the registry is up',
    });
  }

  /** A registry error response as a TugError, with the registry's own error code when it sent one. */
  private async failure(res: Response, what: string): Promise<TugError> {
    const text = await res.text().catch(() => '');
    let detail = '';
    let code = '';
    try {
      const first = (JSON.parse(text) as { errors?: { code?: string; message?: string }[] }).errors?.[0];
      code = first?.code ?? '';
      detail = first?.message ?? '';
    } catch {
      detail = text.slice(0, 200);
    }
    if (res.status === 404 || code === 'MANIFEST_UNKNOWN' || code === 'NAME_UNKNOWN') {
      return new TugError({
        code: 'image.not-found',
        message: `${what} not found in registry ${this.domain}${code ? ` (${code.toLowerCase().replace(/_/g, ' ')})` : ''}`,
        hint: 'check the name and tag; tug image ls lists local images',
      });
    }
    if (res.status === 403 || code === 'DENIED') {
      return new TugError({ code: 'image.registry-auth', message: `registry ${this.domain} denied access to ${this.repository}${detail ? `: ${detail}` : ''}`, hint: `check your access with: docker login ${this.domain}` });
    }
    if (res.status === 429) return new TugError({ code: 'image.rate-limited', message: `registry ${this.domain} says too many requests (pull rate limit): ${detail}`, hint: 'wait, log in, or use a mirror (TUG_REGISTRY_MIRRORS)' });
    return new TugError({ code: 'image.registry-error', message: `registry ${this.domain} answered HTTP ${res.status} for ${what}${detail ? `: ${detail}` : ''}` });
  }
}

function networkCode(err: unknown): string | undefined {
  const cause = (err as { cause?: { code?: string; errors?: { code?: string }[] } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? (err as NodeJS.ErrnoException).code;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

// A real registry for tests: Debian's docker-registry (distribution 2.8) started
// on 127.0.0.1 at a free port with a config and storage under a temp dir (no
// systemd), in three variants: open, htpasswd (Basic) and token auth with a
// small token server here (node:http + RS256 JWTs carrying an x5c chain).
// Without the binary, registry tests skip with a printed reason, or fail when
// TUG_REQUIRE_ISOLATION=1 (CI). `pushImage` uploads fixtures over the plain
// distribution API with its own credentials, independent of tug's client.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSign, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe } from 'vitest';
import { freePort } from './native-env.js';
import type { FixtureBlob } from './image-fixtures.js';

export const REGISTRY_BIN = '/usr/bin/docker-registry';
const registryMissing = !existsSync(REGISTRY_BIN) ? `${REGISTRY_BIN} is not installed (run scripts/setup-registry.sh)` : undefined;
const htpasswdMissing = spawnSync('htpasswd', ['-h'], { encoding: 'utf8' }).error ? 'htpasswd is not installed (apache2-utils)' : undefined;
const skipReason = registryMissing ?? htpasswdMissing;
if (skipReason) {
  if (process.env.TUG_REQUIRE_ISOLATION === '1') throw new Error(`${skipReason}, and TUG_REQUIRE_ISOLATION=1 requires it`);
  console.warn(`skipping registry tests: ${skipReason}`);
}

export function describeRegistry(name: string, fn: () => void): void {
  describe.skipIf(Boolean(skipReason))(name, fn);
}

/** Ports the Fetch standard refuses ("bad port"); a free port from the kernel is rarely one, but check. */
const FETCH_BLOCKED = new Set([1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080]);

export async function fetchablePort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (!FETCH_BLOCKED.has(port)) return port;
  }
}

export interface TestUser {
  user: string;
  password: string;
}

export type RegistryAuth = { kind: 'none' } | { kind: 'basic'; users: TestUser[] } | { kind: 'token'; users: TestUser[]; anonymousPull?: boolean };

export interface TestRegistry {
  /** `127.0.0.1:<port>`: the reference prefix. */
  host: string;
  url: string;
  dir: string;
  /** The token server's requests (token auth only). */
  tokenRequests: URL[];
  /** Authorization header value that may push to any repository. */
  pushAuthorization(repo: string): string | undefined;
  stop(): Promise<void>;
}

export async function startRegistry(auth: RegistryAuth = { kind: 'none' }): Promise<TestRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'tug-registry-'));
  const port = await fetchablePort();
  const host = `127.0.0.1:${port}`;
  let token: TokenServer | undefined;
  let authYaml = '';
  if (auth.kind === 'basic') {
    const lines = auth.users.map((u) => spawnSync('htpasswd', ['-Bbn', u.user, u.password], { encoding: 'utf8' }).stdout.trim());
    writeFileSync(join(dir, 'htpasswd'), lines.join('\n') + '\n');
    authYaml = `auth:\n  htpasswd:\n    realm: tug-test\n    path: ${join(dir, 'htpasswd')}\n`;
  } else if (auth.kind === 'token') {
    token = await startTokenServer(dir, auth.users, auth.anonymousPull ?? false);
    authYaml = `auth:\n  token:\n    realm: ${token.url}/token\n    service: tug-test-registry\n    issuer: tug-test-issuer\n    rootcertbundle: ${token.certFile}\n`;
  }
  mkdirSync(join(dir, 'data'));
  const config = [
    'version: 0.1',
    'log:',
    '  level: error',
    '  accesslog: {disabled: true}',
    'storage:',
    `  filesystem: {rootdirectory: ${join(dir, 'data')}}`,
    '  delete: {enabled: true}',
    `http: {addr: "${host}", secret: tug-test-secret}`,
    authYaml,
  ].join('\n');
  writeFileSync(join(dir, 'config.yml'), config);
  const child = spawn(REGISTRY_BIN, ['serve', join(dir, 'config.yml')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const url = `http://${host}`;
  await waitUp(`${url}/v2/`, child, () => stderr);
  return {
    host,
    url,
    dir,
    tokenRequests: token?.requests ?? [],
    pushAuthorization(repo) {
      if (auth.kind === 'basic') return basic(auth.users[0]!);
      if (auth.kind === 'token') return `Bearer ${token!.mint(auth.users[0]!.user, [{ type: 'repository', name: repo, actions: ['pull', 'push'] }])}`;
      return undefined;
    },
    async stop() {
      await stopChild(child);
      await token?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitUp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited (${child.exitCode}): ${log()}`);
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === 200 || r.status === 401) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`docker-registry did not answer at ${url}: ${log()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

export const basic = (u: TestUser): string => `Basic ${Buffer.from(`${u.user}:${u.password}`).toString('base64')}`;

interface Access {
  type: string;
  name: string;
  actions: string[];
}

interface TokenServer {
  url: string;
  certFile: string;
  requests: URL[];
  mint(subject: string, access: Access[]): string;
  close(): Promise<void>;
}

/** The registry's token service (distribution's token spec): anonymous or Basic-authenticated, RS256 with x5c. */
async function startTokenServer(dir: string, users: TestUser[], anonymousPull: boolean): Promise<TokenServer> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=tug-test-token', '-days', '2', '-keyout', keyFile, '-out', certFile], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  const key = readFileSync(keyFile, 'utf8');
  const der = readFileSync(certFile, 'utf8').replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const b64url = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const mint = (subject: string, access: Access[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = b64url(JSON.stringify({ typ: 'JWT', alg: 'RS256', x5c: [der] }));
    const claims = b64url(JSON.stringify({ iss: 'tug-test-issuer', sub: subject, aud: 'tug-test-registry', exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString('hex'), access }));
    const sig = createSign('RSA-SHA256').update(`${header}.${claims}`).sign(key);
    return `${header}.${claims}.${b64url(sig)}`;
  };
  const requests: URL[] = [];
  const grant = (res: import('node:http').ServerResponse, subject: string, scopes: string[]) => {
    const access: Access[] = scopes.flatMap((scope) => {
      const [type, name, actions] = scope.split(':');
      if (type !== 'repository' || !name || !actions) return [];
      const allowed = subject ? actions.split(',') : anonymousPull ? actions.split(',').filter((a) => a === 'pull') : [];
      return allowed.length > 0 ? [{ type, name, actions: allowed }] : [];
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token: mint(subject, access), expires_in: 300, issued_at: new Date().toISOString() }));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url);
    if (req.method === 'POST') {
      // OAuth2 (docker login with identity tokens): grant_type=refresh_token, the token being "refresh-<user>".
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const form = new URLSearchParams(body);
        const user = form.get('refresh_token')?.replace(/^refresh-/, '');
        if (form.get('grant_type') !== 'refresh_token' || !users.some((u) => u.user === user)) {
          res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'invalid refresh token' }));
          return;
        }
        grant(res, user!, form.getAll('scope'));
      });
      return;
    }
    let subject = '';
    const header = req.headers.authorization;
    if (header) {
      const [user, password] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(':');
      if (!users.some((u) => u.user === user && u.password === password)) {
        res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ details: 'incorrect username or password' }));
        return;
      }
      subject = user!;
    }
    grant(res, subject, url.searchParams.getAll('scope'));
  });
  const port = await fetchablePort();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    certFile,
    requests,
    mint,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Pushes blobs and then the top manifest (index children first) to `repo:tag`
 * with plain distribution API calls (POST upload, PUT with digest, PUT manifest).
 */
export async function pushImage(reg: TestRegistry, repo: string, tag: string, top: FixtureBlob, blobs: Map<string, FixtureBlob>): Promise<void> {
  const auth = reg.pushAuthorization(repo);
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({ ...(auth && { authorization: auth }), ...extra });
  const isManifest = (b: FixtureBlob) => /manifest|index/.test(b.mediaType) && !/config/.test(b.mediaType);
  for (const blob of blobs.values()) {
    if (isManifest(blob)) continue;
    const start = await fetch(`${reg.url}/v2/${repo}/blobs/uploads/`, { method: 'POST', headers: headers() });
    await start.arrayBuffer();
    if (start.status !== 202) throw new Error(`upload start for ${repo}: HTTP ${start.status}`);
    const location = new URL(start.headers.get('location')!, reg.url);
    location.searchParams.set('digest', blob.digest);
    const put = await fetch(location, { method: 'PUT', headers: headers({ 'content-type': 'application/octet-stream' }), body: new Uint8Array(blob.bytes) });
    await put.arrayBuffer();
    if (put.status !== 201) throw new Error(`upload of ${blob.digest} to ${repo}: HTTP ${put.status}`);
  }
  const putManifest = async (b: FixtureBlob, ref: string) => {
    const r = await fetch(`${reg.url}/v2/${repo}/manifests/${ref}`, { method: 'PUT', headers: headers({ 'content-type': b.mediaType }), body: new Uint8Array(b.bytes) });
    const text = await r.text();
    if (r.status !== 201) throw new Error(`manifest put ${repo}:${ref}: HTTP ${r.status} ${text}`);
  };
  for (const blob of blobs.values()) if (isManifest(blob) && blob.digest !== top.digest) await putManifest(blob, blob.digest);
  await putManifest(top, tag);
}

export interface SeenRequest {
  method: string;
  path: string;
  range?: string;
  authorization?: string;
}

export interface TestProxy {
  url: string;
  host: string;
  seen: SeenRequest[];
  /** Requests that reached the blob "CDN" the proxy redirects to (when `redirectBlobs`). */
  cdnSeen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * A recording front for a test registry on another port. With `redirectBlobs`,
 * blob GETs answer 307 to a "CDN" on another origin (127.0.0.2 instead of
 * 127.0.0.1), which serves the blob with the registry's own credentials and
 * records whether the client sent it an Authorization header.
 */
export async function startProxy(reg: TestRegistry, opts: { redirectBlobs?: boolean; repo?: string; slowBlobs?: boolean; tooManyRequestsOnce?: boolean } = {}): Promise<TestProxy> {
  const seen: SeenRequest[] = [];
  const cdnSeen: SeenRequest[] = [];
  const record = (list: SeenRequest[], req: import('node:http').IncomingMessage) =>
    list.push({ method: req.method ?? 'GET', path: req.url ?? '/', ...(req.headers.range && { range: req.headers.range }), ...(req.headers.authorization && { authorization: req.headers.authorization }) });
  const forward = async (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse, auth?: string) => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string' && k !== 'host' && k !== 'connection') headers[k] = v;
    if (auth) headers.authorization = auth;
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const upstream = await fetch(`${reg.url}${req.url}`, { method: req.method, headers, body: chunks.length ? Buffer.concat(chunks) : undefined, redirect: 'manual' });
    const out: Record<string, string> = {};
    upstream.headers.forEach((v, k) => {
      if (k !== 'content-encoding' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
    });
    res.writeHead(upstream.status, out);
    const body = Buffer.from(await upstream.arrayBuffer());
    if (!opts.slowBlobs || !/\/blobs\//.test(req.url ?? '')) return void res.end(body);
    // 64 KiB every 50 ms: slow enough to interrupt a pull half-way.
    for (let i = 0; i < body.length && !res.destroyed; i += 65536) {
      res.write(body.subarray(i, i + 65536));
      await new Promise((r) => setTimeout(r, 50));
    }
    res.end();
  };
  const cdnPort = await fetchablePort();
  const cdn = createServer((req, res) => {
    record(cdnSeen, req);
    void forward(req, res, reg.pushAuthorization(opts.repo ?? ''));
  });
  await new Promise<void>((resolve) => cdn.listen(cdnPort, '127.0.0.2', resolve));
  const port = await fetchablePort();
  let refused = false;
  const server = createServer((req, res) => {
    record(seen, req);
    if (opts.tooManyRequestsOnce && !refused && /\/manifests\//.test(req.url ?? '')) {
      refused = true;
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'application/json' }).end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'slow down' }] }));
      return;
    }
    if (opts.redirectBlobs && req.method === 'GET' && /\/blobs\/sha256:/.test(req.url ?? '')) {
      res.writeHead(307, { location: `http://127.0.0.2:${cdnPort}${req.url}` }).end();
      return;
    }
    void forward(req, res);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    seen,
    cdnSeen,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await new Promise<void>((resolve) => cdn.close(() => resolve()));
    },
  };
}

/** Writes a docker config.json with `auths` for these hosts; returns the env pointing at it. */
export function dockerConfigEnv(dir: string, auths: Record<string, TestUser>): { DOCKER_CONFIG: string } {
  const cfgDir = join(dir, 'docker-config');
  mkdirSync(cfgDir, { recursive: true });
  const entries = Object.fromEntries(Object.entries(auths).map(([host, u]) => [host, { auth: Buffer.from(`${u.user}:${u.password}`).toString('base64') }]));
  writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: entries }));
  return { DOCKER_CONFIG: cfgDir };
}

/** The registry's own file for a blob (filesystem driver), to corrupt it in tests. */
export function registryBlobFile(reg: TestRegistry, digest: string): string {
  const hex = digest.slice(7);
  return join(reg.dir, 'data', 'docker', 'registry', 'v2', 'blobs', 'sha256', hex.slice(0, 2), hex, 'data');
}

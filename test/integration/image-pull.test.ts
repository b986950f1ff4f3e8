// Pulling from a real registry (distribution 2.8 on 127.0.0.1): platforms,
// Basic and token auth with credentials from a docker config.json, redirects,
// resumes, and each failure a clear error with nothing half-stored.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { ImageStore } from '../../src/runtime/images/store/image-store.js';
import { layerFsDir } from '../../src/runtime/images/store/layout.js';
import { pullImage, type PullOptions, type PullProgress } from '../../src/runtime/images/registry/pull.js';
import { pruneStore } from '../../src/runtime/images/store/prune.js';
import { buildImage, buildIndex, busyboxEntries, type FixtureImage } from '../helpers/image-fixtures.js';
import { describeRegistry, dockerConfigEnv, pushImage, registryBlobFile, startProxy, startRegistry, type TestRegistry } from '../helpers/registry.js';

let home: string;
let store: ImageStore;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'tug-pull-'));
  store = new ImageStore(home);
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const env = (extra: Record<string, string> = {}): PullOptions['env'] => ({ HOME: home, DOCKER_CONFIG: join(home, 'no-docker-config'), ...extra });
const opts = (extra: Partial<PullOptions> = {}): PullOptions => ({ env: env(), retryDelayMs: 10, ...extra });

async function failure(p: Promise<unknown>): Promise<TugError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof TugError)) throw new Error(`expected a TugError, got ${String(err)}`);
  return err;
}

/** Nothing named and no image recorded: what a failed pull must leave. */
async function expectNothingStored(): Promise<void> {
  expect(await store.readRefs()).toEqual({});
  expect(await store.listImages()).toEqual([]);
  const ingest = join(store.layout.ingestDir);
  expect(existsSync(ingest) ? readdirSync(ingest) : []).toEqual([]);
}

let app: FixtureImage;
beforeAll(async () => {
  app = await buildImage({
    layers: [
      { entries: busyboxEntries() },
      { entries: [{ path: 'app', type: 'directory' }, { path: 'app/data.bin', body: Buffer.alloc(300_000, 1) }], compression: 'zstd' },
      { entries: [{ path: 'etc', type: 'directory' }, { path: 'etc/motd', body: 'hello\n' }], compression: 'none' },
    ],
    config: { Env: ['PATH=/bin', 'GREETING=hi'], Cmd: ['sh', '-c', 'echo $GREETING'], WorkingDir: '/app' },
  });
});

describeRegistry('pull from an open registry', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry();
    await pushImage(reg, 'tug/app', '1', app.manifest, app.blobs);
    const arm = await buildImage({ layers: [{ entries: [{ path: 'arch', body: 'arm64' }] }], architecture: 'arm64', variant: 'v8' });
    const amd = await buildImage({ layers: [{ entries: [{ path: 'arch', body: 'amd64' }] }], architecture: 'amd64' });
    const attestation = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: arm.manifest.digest, size: arm.manifest.bytes.length, platform: { os: 'unknown', architecture: 'unknown' }, annotations: { 'vnd.docker.reference.type': 'attestation-manifest' } };
    const multi = buildIndex([arm, amd], 'oci', [attestation]);
    await pushImage(reg, 'tug/multi', '1', multi.index, multi.blobs);
    const armOnly = buildIndex([arm], 'docker');
    await pushImage(reg, 'tug/armonly', '1', armOnly.index, armOnly.blobs);
  });
  afterAll(() => reg?.stop());

  it('stores a multi-layer image (gzip, zstd, uncompressed) under its name, each layer unpacked', async () => {
    const events: PullProgress[] = [];
    const { record, reference, digest } = await pullImage(store, `${reg.host}/tug/app:1`, opts({ onProgress: (p) => events.push(p) }));
    expect(reference).toBe(`${reg.host}/tug/app:1`);
    expect(digest).toBe(app.manifest.digest);
    expect(record.id).toBe(app.config.digest);
    expect(record.repoDigests).toEqual([`${reg.host}/tug/app@${app.manifest.digest}`]);
    expect((await store.readRefs())[reference]?.id).toBe(record.id);
    expect(readFileSync(join(layerFsDir(store.layout, app.layers[2]!.diffId), 'etc/motd'), 'utf8')).toBe('hello\n');
    expect(readFileSync(join(layerFsDir(store.layout, app.layers[1]!.diffId), 'app/data.bin')).length).toBe(300_000);
    const bytes = events.filter((e) => e.status === 'Downloading' && e.layer === app.layers[1]!.digest.slice(7, 19));
    expect(bytes.at(-1)).toMatchObject({ current: app.layers[1]!.bytes.length, total: app.layers[1]!.bytes.length });
    expect(events.filter((e) => e.status === 'Pull complete').length).toBe(3);
    // Pulling again downloads no layer.
    const again: PullProgress[] = [];
    await pullImage(store, `${reg.host}/tug/app:1`, opts({ onProgress: (p) => again.push(p) }));
    expect(again.filter((e) => e.status === 'Already exists').length).toBe(3);
  });

  it('pulls by digest', async () => {
    const { record } = await pullImage(store, `${reg.host}/tug/app@${app.manifest.digest}`, opts());
    expect(record.id).toBe(app.config.digest);
  });

  it('chooses the platform from an index, skipping attestations', async () => {
    const host = await pullImage(store, `${reg.host}/tug/multi:1`, opts());
    expect(host.record.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    const arm = await pullImage(store, `${reg.host}/tug/multi:1`, opts({ platform: { os: 'linux', architecture: 'arm64' } }));
    expect(arm.record.platform.architecture).toBe('arm64');
    expect(readFileSync(join(layerFsDir(store.layout, arm.record.layers[0]!.diffId), 'arch'), 'utf8')).toBe('arm64');
  });

  it('says which platforms an image offers when none fits, and stores no image', async () => {
    const err = await failure(pullImage(store, `${reg.host}/tug/armonly:1`, opts()));
    expect(err.message).toBe(`image ${reg.host}/tug/armonly:1 has no manifest for linux/amd64; it offers linux/arm64`);
    await expectNothingStored();
  });

  it('reports a missing tag and a missing repository', async () => {
    const tag = await failure(pullImage(store, `${reg.host}/tug/app:nope`, opts()));
    expect(tag.code).toBe('image.not-found');
    expect(tag.message).toMatch(/tug\/app:nope not found in registry 127\.0\.0\.1:\d+ \(manifest unknown\)/);
    const repo = await failure(pullImage(store, `${reg.host}/tug/none:1`, opts()));
    expect(repo.message).toMatch(/not found/);
    await expectNothingStored();
  });

  it('refuses a corrupted blob and keeps nothing of it', async () => {
    const img = await buildImage({ layers: [{ entries: [{ path: 'f', body: Buffer.alloc(10_000, 5) }] }] });
    await pushImage(reg, 'tug/corrupt', '1', img.manifest, img.blobs);
    const file = registryBlobFile(reg, img.layers[0]!.digest);
    writeFileSync(file, Buffer.alloc(readFileSync(file).length, 0));
    const err = await failure(pullImage(store, `${reg.host}/tug/corrupt:1`, opts()));
    expect(err.code).toBe('image.digest-mismatch');
    expect(err.message).toMatch(/layer sha256:[0-9a-f]{64} failed verification: its content hashes to sha256:[0-9a-f]{64}; nothing was stored/);
    await expectNothingStored();
    expect(existsSync(join(store.layout.blobsDir, img.layers[0]!.digest.slice(7)))).toBe(false);
  });

  it('resumes a layer from the partial file a killed pull left', async () => {
    const proxy = await startProxy(reg);
    try {
      const layer = app.layers[1]!;
      const half = Math.floor(layer.bytes.length / 2);
      store.ensureDirs();
      writeFileSync(join(store.layout.ingestDir, `${layer.digest.slice(7)}.partial`), layer.bytes.subarray(0, half));
      await pullImage(store, `${proxy.host}/tug/app:1`, opts());
      const get = proxy.seen.find((r) => r.path.endsWith(layer.digest));
      expect(get?.range).toBe(`bytes=${half}-`);
      expect(readFileSync(join(layerFsDir(store.layout, layer.diffId), 'app/data.bin')).length).toBe(300_000);
    } finally {
      await proxy.close();
    }
  });

  it('a prune while a pull runs leaves the pull\'s content alone', async () => {
    const proxy = await startProxy(reg, { slowBlobs: true });
    try {
      const pulling = pullImage(store, `${proxy.host}/tug/app:1`, opts());
      // The busybox layer takes the slow proxy about a second: prune while it is on its way.
      const partial = join(store.layout.ingestDir, `${app.layers[0]!.digest.slice(7)}.partial`);
      const deadline = Date.now() + 10_000;
      while (!existsSync(partial) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(existsSync(partial)).toBe(true);
      const report = await pruneStore(store);
      expect(report.blobs).toBe(0);
      const { record } = await pulling;
      expect(readFileSync(join(layerFsDir(store.layout, record.layers[1]!.diffId), 'app/data.bin')).length).toBe(300_000);
    } finally {
      await proxy.close();
    }
  });

  it('unpacks a layer while it downloads', async () => {
    const proxy = await startProxy(reg, { slowBlobs: true });
    try {
      const pulling = pullImage(store, `${proxy.host}/tug/app:1`, opts());
      const partial = join(store.layout.ingestDir, `${app.layers[0]!.digest.slice(7)}.partial`);
      const unpacking = `.tmp-${app.layers[0]!.diffId.slice(7)}-`;
      let overlapped = false;
      const deadline = Date.now() + 10_000;
      while (!overlapped && Date.now() < deadline) {
        const dirs = existsSync(store.layout.layersDir) ? readdirSync(store.layout.layersDir) : [];
        overlapped = existsSync(partial) && dirs.some((d) => d.startsWith(unpacking));
        await new Promise((r) => setTimeout(r, 5));
      }
      await pulling;
      expect(overlapped).toBe(true);
    } finally {
      await proxy.close();
    }
  });

  it('waits as long as Retry-After says when the registry answers 429', async () => {
    const proxy = await startProxy(reg, { tooManyRequestsOnce: true });
    try {
      const started = Date.now();
      await pullImage(store, `${proxy.host}/tug/app:1`, opts());
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(proxy.seen.filter((r) => r.path.endsWith('/manifests/1')).length).toBe(2);
    } finally {
      await proxy.close();
    }
  });

  it('pulls Docker Hub names through TUG_REGISTRY_MIRRORS', async () => {
    await pushImage(reg, 'library/mirrored', '1', app.manifest, app.blobs);
    const { reference, record } = await pullImage(store, 'mirrored:1', opts({ env: env({ TUG_REGISTRY_MIRRORS: reg.url }) }));
    expect(reference).toBe('docker.io/library/mirrored:1');
    expect(record.repoDigests).toEqual([`docker.io/library/mirrored@${app.manifest.digest}`]);
  });

  it('reports a registry that is down', async () => {
    const down = `127.0.0.1:${await (await import('../helpers/registry.js')).fetchablePort()}`;
    const err = await failure(pullImage(store, `${down}/tug/app:1`, opts()));
    expect(err.code).toBe('image.registry-unreachable');
    expect(err.message).toBe(`cannot reach registry ${down} at http://${down}: connection refused`);
    await expectNothingStored();
  });

  it('two pulls of one image at once store its layers once', async () => {
    const other = new ImageStore(home);
    await Promise.all([pullImage(store, `${reg.host}/tug/app:1`, opts()), pullImage(other, `${reg.host}/tug/app:1`, opts())]);
    expect(readdirSync(store.layout.layersDir).filter((n) => !n.startsWith('.')).sort()).toEqual(app.layers.map((l) => l.diffId.slice(7)).sort());
  });
});

describeRegistry('pull with Basic auth (htpasswd)', () => {
  let reg: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ kind: 'basic', users: [{ user: 'tester', password: 'secret' }] });
    await pushImage(reg, 'tug/app', '1', app.manifest, app.blobs);
  });
  afterAll(() => reg?.stop());

  it('uses the credentials in the docker config.json', async () => {
    const cfg = dockerConfigEnv(home, { [reg.host]: { user: 'tester', password: 'secret' } });
    const { record } = await pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env(cfg) }));
    expect(record.id).toBe(app.config.digest);
  });

  it('refuses wrong credentials clearly, and asks for a login when there are none', async () => {
    const cfg = dockerConfigEnv(home, { [`http://${reg.host}/v2/`]: { user: 'tester', password: 'wrong' } });
    const wrong = await failure(pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env(cfg) })));
    expect(wrong.message).toBe(`registry ${reg.host} refused the credentials of user "tester" for tug/app`);
    const none = await failure(pullImage(store, `${reg.host}/tug/app:1`, opts()));
    expect(none.message).toBe(`registry ${reg.host} requires credentials to pull tug/app, and none are configured`);
    expect(none.hint).toMatch(/docker login/);
    await expectNothingStored();
  });

  it('asks the credsStore helper named in the docker config', async () => {
    const bin = join(home, 'bin');
    mkdirSync(bin);
    const helper = join(bin, 'docker-credential-tugtest');
    // A real helper program: reads the server URL on stdin, prints the credentials as docker-credential-helpers do.
    writeFileSync(helper, `#!/bin/sh\nread url\n[ "$1" = get ] && [ "$url" = "${reg.host}" ] && echo '{"ServerURL":"'$url'","Username":"tester","Secret":"secret"}' && exit 0\necho "credentials not found in native keychain"; exit 1\n`, { mode: 0o755 });
    const cfgDir = join(home, 'helper-config');
    mkdirSync(cfgDir);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ credsStore: 'tugtest' }));
    const { record } = await pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env({ DOCKER_CONFIG: cfgDir, PATH: `${bin}:${process.env.PATH}` }) }));
    expect(record.id).toBe(app.config.digest);
  });

  it('follows blob redirects without sending the credentials to the other host', async () => {
    const proxy = await startProxy(reg, { redirectBlobs: true, repo: 'tug/app' });
    try {
      const cfg = dockerConfigEnv(home, { [proxy.host]: { user: 'tester', password: 'secret' } });
      await pullImage(store, `${proxy.host}/tug/app:1`, opts({ env: env(cfg) }));
      expect(proxy.cdnSeen.length).toBe(app.layers.length + 1);
      expect(proxy.cdnSeen.every((r) => r.authorization === undefined)).toBe(true);
      expect(proxy.seen.some((r) => r.authorization?.startsWith('Basic '))).toBe(true);
    } finally {
      await proxy.close();
    }
  });
});

describeRegistry('pull with token auth', () => {
  let reg: TestRegistry;
  let anon: TestRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ kind: 'token', users: [{ user: 'tester', password: 'secret' }] });
    anon = await startRegistry({ kind: 'token', users: [{ user: 'tester', password: 'secret' }], anonymousPull: true });
    await pushImage(reg, 'tug/app', '1', app.manifest, app.blobs);
    await pushImage(anon, 'tug/app', '1', app.manifest, app.blobs);
  });
  afterAll(async () => {
    await reg?.stop();
    await anon?.stop();
  });

  it('gets an anonymous token where the registry allows anonymous pulls', async () => {
    const { record } = await pullImage(store, `${anon.host}/tug/app:1`, opts());
    expect(record.id).toBe(app.config.digest);
    const asked = anon.tokenRequests.at(-1)!;
    expect(asked.searchParams.get('scope')).toBe('repository:tug/app:pull');
    expect(asked.searchParams.get('service')).toBe('tug-test-registry');
  });

  it('gets a token with the user\'s credentials', async () => {
    const cfg = dockerConfigEnv(home, { [reg.host]: { user: 'tester', password: 'secret' } });
    await pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env(cfg) }));
    expect(reg.tokenRequests.at(-1)!.searchParams.get('account')).toBe('tester');
  });

  it('trades an identity token from docker login for an access token (OAuth2)', async () => {
    const cfgDir = join(home, 'oauth-config');
    mkdirSync(cfgDir);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-tester' } } }));
    const { record } = await pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env({ DOCKER_CONFIG: cfgDir }) }));
    expect(record.id).toBe(app.config.digest);
    writeFileSync(join(cfgDir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-stranger' } } }));
    const err = await failure(pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env({ DOCKER_CONFIG: cfgDir }) })));
    expect(err.message).toBe(`registry ${reg.host} refused the credentials for tug/app`);
  });

  it('refuses wrong credentials at the token service', async () => {
    const cfg = dockerConfigEnv(home, { [reg.host]: { user: 'tester', password: 'nope' } });
    const err = await failure(pullImage(store, `${reg.host}/tug/app:1`, opts({ env: env(cfg) })));
    expect(err.message).toBe(`registry ${reg.host} refused the credentials of user "tester" for tug/app`);
    const anonymous = await failure(pullImage(store, `${reg.host}/tug/app:1`, opts()));
    expect(anonymous.message).toMatch(/requires credentials/);
    await expectNothingStored();
  });
});

// The built CLI on the native backend with images from a real registry on
// 127.0.0.1 (behind a recording proxy): `up` pulls a multi-layer image once for
// two services sharing it and labels their replicas with its ID; `--pull
// always` asks the registry again; a new digest under the same tag recreates
// the replicas; `ps --size`; `down --rmi all` removes the references unless
// another project's replica leases the image, and `image prune` frees the
// layers; bad references and a registry that is down fail clearly with
// nothing half-stored and nothing started.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { tugBin, tempProject, type CliResult } from '../helpers/cli.js';
import { buildImage, busyboxEntries, type FixtureImage } from '../helpers/image-fixtures.js';
import { freePort, tempHomes } from '../helpers/native-env.js';
import { describeRegistry, pushImage, startProxy, startRegistry, type TestProxy, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let proxy: TestProxy;
let first: FixtureImage;
let second: FixtureImage;
const homes = tempHomes();
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

interface PsJson {
  ID: string;
  Service: string;
  Pid: number;
  Labels: string;
  Size?: string;
}

type Run = (args: string[]) => Promise<CliResult>;

/** The CLI as a child this process does not block on: the recording proxy answers from this process. */
function tugAsync(args: string[], cwd: string, env: Record<string, string>): Promise<CliResult> {
  const child = spawn(process.execPath, ['--', tugBin, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

function setup(compose: string): { run: Run; home: string } {
  const home = homes();
  const dir = tempProject({ 'compose.yaml': compose });
  dirs.push(dir);
  // The store is what this file tests: the replicas stay host processes (images run in containers: native-image-containers.test.ts).
  return { home, run: (args) => tugAsync(['-p', 'imgnative', '--isolation', 'process', ...args], dir, { TUG_HOME: home, DOCKER_CONFIG: join(home, 'no-docker-config') }) };
}

const ps = async (run: Run, ...extra: string[]): Promise<PsJson[]> =>
  (await run(['ps', '--format', 'json', ...extra])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsJson);
const imageLabel = (row: PsJson) => /com\.docker\.compose\.image=([^,]+)/.exec(row.Labels)?.[1];
const blobGets = (digest: string) => proxy.seen.filter((r) => r.method === 'GET' && r.path.endsWith(`/blobs/${digest}`)).length;
const manifestGets = () => proxy.seen.filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).length;

describeRegistry('native backend: images from a registry (built CLI)', () => {
  beforeAll(async () => {
    reg = await startRegistry();
    proxy = await startProxy(reg);
    const layers = [
      { entries: busyboxEntries() },
      { entries: [{ path: 'srv', type: 'directory' as const }, { path: 'srv/one', body: 'one' }] },
      { entries: [{ path: 'srv/two', body: 'two' }], compression: 'zstd' as const },
    ];
    first = await buildImage({ layers, config: { Cmd: ['sh'] } });
    second = await buildImage({ layers: [...layers, { entries: [{ path: 'srv/three', body: 'three' }] }], config: { Cmd: ['sh'] } });
    await pushImage(reg, 'tug/multi', '1', first.manifest, first.blobs);
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await reg?.stop();
  });

  it('pulls once for two services, re-asks with --pull always, recreates on a new digest, and removes with down --rmi all', async () => {
    const image = `${proxy.host}/tug/multi:1`;
    const { run, home } = setup(['services:', `  web: {image: "${image}", command: [sleep, "60"]}`, `  worker: {image: "${image}", command: [sleep, "60"]}`].join('\n'));

    const up = await run(['up', '-d']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toContain('"image" is pulled but not run for: web, worker');
    for (const layer of first.layers) expect(blobGets(layer.digest)).toBe(1);
    const before = await ps(run);
    expect(before.map((r) => [r.Service, imageLabel(r)])).toEqual([
      ['web', first.config.digest],
      ['worker', first.config.digest],
    ]);

    // --pull always asks the registry again; the same digest changes nothing.
    const manifests = manifestGets();
    expect((await run(['up', '-d', '--pull', 'always'])).code).toBe(0);
    expect(manifestGets()).toBeGreaterThan(manifests);
    for (const layer of first.layers) expect(blobGets(layer.digest)).toBe(1);
    expect((await ps(run)).map((r) => r.Pid)).toEqual(before.map((r) => r.Pid));

    // A new image under the same tag: `tug pull` fetches it, the next `up` recreates both replicas.
    await pushImage(reg, 'tug/multi', '1', second.manifest, second.blobs);
    const pulled = await run(['pull', '-q']);
    expect(pulled.code, pulled.stderr).toBe(0);
    // Both images are in the store now, sharing three layers: only the new one's own layer is unique to it.
    const listed = (await run(['image', 'ls', '--format', 'json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    const byTag = Object.fromEntries(listed.map((r) => [r.Tag, r]));
    expect(byTag['<none>']).toMatchObject({ UniqueSize: '0B', Containers: '0' });
    expect(byTag['1']!.UniqueSize).not.toBe('0B');
    expect(byTag['1']!.SharedSize).toBe(byTag['<none>']!.Size);
    const up2 = await run(['up', '-d']);
    expect(up2.code, up2.stderr).toBe(0);
    const after = await ps(run, '--size');
    expect(after.map((r) => imageLabel(r))).toEqual([second.config.digest, second.config.digest]);
    expect(after.map((r) => r.Pid)).not.toContain(before[0]!.Pid);
    // Host processes write nothing of their own root filesystem.
    expect(after.map((r) => r.Size)).toEqual(['-', '-']);
    expect((await run(['ps', '--size'])).stdout).toMatch(/SIZE[\s\S]*imgnative-web-1 .* -/);

    // Another project's replica leases the image: down --rmi keeps its name, and says so.
    const leases = join(home, 'images', 'leases');
    mkdirSync(leases, { recursive: true });
    writeFileSync(join(leases, 'other.other-web-1.json'), JSON.stringify({ images: [second.config.digest], layers: [], blobs: [] }));
    const kept = await run(['down', '--rmi', 'all']);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stderr).toMatch(/kept image .*tug\/multi:1: image .* is used by replica other\.other-web-1/);
    expect((await run(['image', 'ls', '-q'])).stdout.trim()).not.toBe('');

    rmSync(join(leases, 'other.other-web-1.json'));
    expect((await run(['up', '-d'])).code).toBe(0);
    const down = await run(['down', '--rmi', 'all']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stderr).toContain(`removed image ${image}`);
    expect((await run(['image', 'ls'])).stdout).not.toContain('tug/multi');
    // What is left is the first image, which lost its tag to the second: prune frees it.
    expect((await run(['image', 'ls'])).stdout).toContain('<none>');
    expect((await run(['image', 'prune'])).code).toBe(0);
    expect((await run(['image', 'ls', '-q'])).stdout).toBe('');
    expect(readdirSync(join(home, 'images', 'layers')).filter((n) => !n.startsWith('.'))).toEqual([]);
    expect(readdirSync(join(home, 'images', 'blobs', 'sha256'))).toEqual([]);
  }, 120_000);

  it('a missing tag or a registry that is down fails up clearly, with nothing stored and nothing started', async () => {
    const down = `127.0.0.1:${await freePort()}`;
    const { run, home } = setup(['services:', `  web: {image: "${proxy.host}/tug/multi:missing", command: [sleep, "60"]}`, `  api: {image: "${down}/tug/multi:1", command: [sleep, "60"]}`].join('\n'));
    const up = await run(['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/service "web": tug\/multi:missing not found in registry 127\.0\.0\.1:\d+/);
    expect(up.stderr).toMatch(new RegExp(`service "api": .*${down.replace('.', '\\.')}`));
    expect(up.stderr).not.toMatch(/internal error|at .*\.js/);
    expect(await ps(run, '-a')).toEqual([]);
    expect((await run(['image', 'ls', '-q'])).stdout).toBe('');
    expect(readdirSync(join(home, 'images', 'ingest'))).toEqual([]);
  }, 60_000);

  it('builds a service that must be built, and a build that cannot start stops up with its reason, starting nothing', async () => {
    const { run } = setup(['services:', '  app: {build: ., command: [sleep, "60"]}'].join('\n'));
    const up = await run(['up', '-d']);
    expect(up.code).toBe(1);
    expect(up.stderr).toMatch(/error compose\.yaml:2:\d+ services\.app\.build\.dockerfile: the Dockerfile .*\/Dockerfile does not exist/);
    expect(up.stderr).toContain('hint: set build.dockerfile');
    expect(await ps(run, '-a')).toEqual([]);
  });
});

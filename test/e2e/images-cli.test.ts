// The built CLI on the image store against a real registry: `tug image pull |
// load | ls | inspect | rm | prune`, the project's `tug pull` and `tug images`,
// progress as JSON, two projects pulling one image at once, a killed pull
// resumed by the next one.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { tug, tugBin, tempProject, type CliResult } from '../helpers/cli.js';
import { buildImage, busyboxEntries, dockerSaveTar, type FixtureImage } from '../helpers/image-fixtures.js';
import { describeRegistry, pushImage, startProxy, startRegistry, type TestRegistry } from '../helpers/registry.js';

let reg: TestRegistry;
let home: string;
let app: FixtureImage;
let other: FixtureImage;
let big: FixtureImage;

const env = () => ({ TUG_HOME: home, DOCKER_CONFIG: join(home, 'docker-config') });
const run = (args: string[], cwd = home, input?: string): CliResult => tug(args, { cwd, env: env(), ...(input !== undefined && { input }) });

describeRegistry('tug image commands and tug pull / images (built CLI)', () => {
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'tug-e2e-images-'));
    reg = await startRegistry();
    app = await buildImage({ layers: [{ entries: busyboxEntries() }, { entries: [{ path: 'www', type: 'directory' }, { path: 'www/index.html', body: 'hi' }] }], config: { Cmd: ['httpd', '-f'], ExposedPorts: { '80/tcp': {} } } });
    other = await buildImage({ layers: [{ entries: [{ path: 'v2', body: 'two' }] }], config: { Cmd: ['true'] } });
    big = await buildImage({ layers: [{ entries: [{ path: 'blob', body: randomBytes(3_000_000) }], compression: 'none' }], config: { Cmd: ['true'] } });
    await pushImage(reg, 'tug/app', '1', app.manifest, app.blobs);
    await pushImage(reg, 'tug/big', '1', big.manifest, big.blobs);
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    rmSync(home, { recursive: true, force: true });
  });

  it('image pull, ls, inspect; --progress json reports layer bytes', () => {
    const r = run(['--progress', 'json', 'image', 'pull', `${reg.host}/tug/app:1`]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`${reg.host}/tug/app:1\n`);
    const events = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { type: string; status: string; current?: number; total?: number });
    expect(events.some((e) => e.type === 'image' && e.status === 'Downloading' && e.current === e.total && e.total! > 0)).toBe(true);
    const ls = JSON.parse(run(['image', 'ls', '--format', 'json']).stdout.trim().split('\n')[0]!) as Record<string, string>;
    expect(ls).toMatchObject({ Repository: `${reg.host}/tug/app`, Tag: '1', ID: app.config.digest.slice(7, 19), Digest: app.manifest.digest });
    const [inspected] = JSON.parse(run(['image', 'inspect', `${reg.host}/tug/app:1`]).stdout) as { Id: string; Config: { Cmd: string[] } }[];
    expect(inspected!.Id).toBe(app.config.digest);
    expect(inspected!.Config.Cmd).toEqual(['httpd', '-f']);
  });

  it('image load from a file and from stdin', async () => {
    const file = join(home, 'other.tar');
    writeFileSync(file, await dockerSaveTar(other, ['tug/other:2']));
    const r = run(['image', 'load', '-i', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('Loaded image: tug/other:2\n');
    const bin = (await dockerSaveTar(other, ['tug/other:3'])).toString('latin1');
    const child = spawn(process.execPath, [tugBin, 'image', 'load'], { env: { PATH: process.env.PATH ?? '', HOME: home, ...env() } });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stdin.end(Buffer.from(bin, 'latin1'));
    expect(await new Promise((resolve) => child.on('close', resolve))).toBe(0);
    expect(out).toBe('Loaded image: tug/other:3\n');
  });

  it('tug pull pulls the project\'s images once per image and skips what it should; tug images lists them', () => {
    const dir = tempProject({
      'compose.yaml': [
        'services:',
        `  web: {image: "${reg.host}/tug/app:1", command: [httpd]}`,
        `  worker: {image: "${reg.host}/tug/app:1", command: [sleep, "1"]}`,
        `  pinned: {image: "${reg.host}/tug/app:1", pull_policy: never, command: ["true"]}`,
        '  host: {command: [echo, hi]}',
      ].join('\n'),
    });
    try {
      const r = run(['-p', 'imgs', '--progress', 'plain', 'pull'], dir);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr.match(/Pulling/g)?.length).toBe(1);
      const images = JSON.parse(run(['-p', 'imgs', 'images', '--format', 'json'], dir).stdout) as { Service: string; Repository: string; Tag: string }[];
      expect(images.map((i) => i.Service)).toEqual(['pinned', 'web', 'worker']);
      expect(images[0]).toMatchObject({ Repository: `${reg.host}/tug/app`, Tag: '1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('tug pull fails clearly on a missing tag, or warns with --ignore-pull-failures', () => {
    const dir = tempProject({ 'compose.yaml': `services:\n  web: {image: "${reg.host}/tug/app:missing", command: ["true"]}\n` });
    try {
      const r = run(['-p', 'imgs2', 'pull', '-q'], dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error service "web": tug\/app:missing not found in registry 127\.0\.0\.1:\d+ \(manifest unknown\)/);
      expect(r.stderr).not.toMatch(/internal error|at .*\.js/);
      const ignored = run(['-p', 'imgs2', 'pull', '-q', '--ignore-pull-failures'], dir);
      expect(ignored.code).toBe(0);
      expect(ignored.stderr).toMatch(/warning service "web": .* not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('two processes pulling one image at once download and store its layers once', async () => {
    const proxy = await startProxy(reg);
    const sub = mkdtempSync(join(home, 'iso-'));
    try {
      const start = () => {
        const child = spawn(process.execPath, [tugBin, 'image', 'pull', '-q', `${proxy.host}/tug/big:1`], { env: { PATH: process.env.PATH ?? '', HOME: sub, TUG_HOME: sub, DOCKER_CONFIG: join(sub, 'none') } });
        return new Promise<number | null>((resolve) => child.on('close', resolve));
      };
      expect(await Promise.all([start(), start()])).toEqual([0, 0]);
      expect(proxy.seen.filter((r) => r.path.endsWith(big.layers[0]!.digest)).length).toBe(1);
      expect(readdirSync(join(sub, 'images/layers')).filter((n) => !n.startsWith('.'))).toEqual([big.layers[0]!.diffId.slice(7)]);
      expect(readdirSync(join(sub, 'images/ingest'))).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it('a killed pull is resumed by the next one', async () => {
    const proxy = await startProxy(reg, { slowBlobs: true });
    const sub = mkdtempSync(join(home, 'kill-'));
    const partial = join(sub, 'images/ingest', `${big.layers[0]!.digest.slice(7)}.partial`);
    try {
      const child = spawn(process.execPath, [tugBin, 'image', 'pull', '-q', `${proxy.host}/tug/big:1`], { env: { PATH: process.env.PATH ?? '', HOME: sub, TUG_HOME: sub, DOCKER_CONFIG: join(sub, 'none') } });
      const closed = new Promise((resolve) => child.on('close', resolve));
      const deadline = Date.now() + 20_000;
      while (!(existsSync(partial) && statSync(partial).size > 200_000) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      child.kill('SIGKILL');
      await closed;
      const kept = statSync(partial).size;
      expect(kept).toBeGreaterThan(0);
      expect(kept).toBeLessThan(big.layers[0]!.bytes.length);
      // Not spawnSync: the proxy lives in this process and must keep serving.
      const again = await new Promise<CliResult>((resolve) => {
        const c = spawn(process.execPath, [tugBin, 'image', 'pull', '-q', `${proxy.host}/tug/big:1`], { env: { PATH: process.env.PATH ?? '', HOME: sub, TUG_HOME: sub, DOCKER_CONFIG: join(sub, 'none') } });
        let stderr = '';
        c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
        c.on('close', (code) => resolve({ code, stdout: '', stderr }));
      });
      expect(again.code, again.stderr).toBe(0);
      const ranged = proxy.seen.filter((s) => s.path.endsWith(big.layers[0]!.digest) && s.range);
      expect(ranged.length).toBe(1);
      expect(Number(/bytes=(\d+)-/.exec(ranged[0]!.range!)![1])).toBeGreaterThanOrEqual(kept);
      expect(existsSync(partial)).toBe(false);
    } finally {
      await proxy.close();
    }
  }, 60_000);

  it('image prune removes what no name uses and keeps the rest; image rm untags and deletes', async () => {
    // Move a tag: the image it named becomes unnamed.
    const first = await buildImage({ layers: [{ entries: [{ path: 'v1', body: 'one' }] }], config: { Cmd: ['true'] } });
    await pushImage(reg, 'tug/moving', '1', first.manifest, first.blobs);
    expect(run(['image', 'pull', '-q', `${reg.host}/tug/moving:1`]).code).toBe(0);
    await pushImage(reg, 'tug/moving', '1', other.manifest, other.blobs);
    expect(run(['image', 'pull', '-q', `${reg.host}/tug/moving:1`]).code).toBe(0);
    const before = run(['image', 'ls']).stdout;
    expect(before).toMatch(/<none>\s+<none>/);
    const pruned = run(['image', 'prune', '-f']);
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toContain(`deleted: ${first.config.digest}`);
    expect(existsSync(join(home, 'images/layers', first.layers[0]!.diffId.slice(7)))).toBe(false);
    expect(pruned.stdout).toMatch(/Total reclaimed space: [\d.]+[kM]?B/);
    const after = run(['image', 'ls', '--format', 'json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { Repository: string; Tag: string });
    expect(after.map((a) => `${a.Repository}:${a.Tag}`).sort()).toEqual([`${reg.host}/tug/app:1`, `${reg.host}/tug/moving:1`, 'tug/other:2', 'tug/other:3'].sort());
    const rm = run(['image', 'rm', 'tug/other:2', 'tug/other:3']);
    // The moved tag still names the image: only the names go.
    expect(rm.stdout).toBe('Untagged: tug/other:2\nUntagged: tug/other:3\n');
    const last = run(['image', 'rm', `${reg.host}/tug/moving:1`]);
    expect(last.stdout).toBe(`Untagged: ${reg.host}/tug/moving:1\nDeleted: ${other.config.digest}\n`);
    expect(run(['image', 'ls', '-q']).stdout).toBe(`${app.config.digest.slice(7, 19)}\n`);
  });
});

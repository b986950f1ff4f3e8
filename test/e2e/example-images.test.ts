// examples/images: its script makes a docker save archive without Docker, which
// `tug image load` reads; `tug images` then lists the project's images, and the
// configuration a replica would get is what the README describes.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, tug } from '../helpers/cli.js';

const hasBusybox = existsSync('/bin/busybox');
if (!hasBusybox) console.warn('skipping examples/images: /bin/busybox missing (apt-get install busybox-static)');

describe.skipIf(!hasBusybox)('examples/images', () => {
  let dir: string;
  let home: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tug-example-images-'));
    home = mkdtempSync(join(tmpdir(), 'tug-example-home-'));
    cpSync(join(repoRoot, 'examples/images'), dir, { recursive: true });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(home, { recursive: true, force: true });
  });

  it('makes its images, loads them into the store and lists them for the project', () => {
    // Run from the repository, where tar-stream resolves; write into the copy.
    const made = spawnSync(process.execPath, [join(repoRoot, 'examples/images/make-images.mjs'), join(dir, 'images.tar')], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const env = { TUG_HOME: home };
    const loaded = tug(['image', 'load', '-i', 'images.tar'], { cwd: dir, env });
    expect(loaded.stdout).toBe('Loaded image: tug-example/web:1\nLoaded image: tug-example/client:1\n');
    const images = JSON.parse(tug(['images', '--format', 'json'], { cwd: dir, env }).stdout) as { Service: string; Repository: string }[];
    expect(images.map((i) => `${i.Service}=${i.Repository}`)).toEqual(['client=tug-example/client', 'web=tug-example/web']);
    const [web] = JSON.parse(tug(['image', 'inspect', 'tug-example/web:1'], { cwd: dir, env }).stdout) as { Config: { Cmd: string[]; ExposedPorts: object; Healthcheck: { Test: string[] } } }[];
    expect(web!.Config.Cmd[0]).toBe('httpd');
    expect(Object.keys(web!.Config.ExposedPorts)).toEqual(['80/tcp']);
    expect(web!.Config.Healthcheck.Test[0]).toBe('CMD');
  });
});

// What `npm pack` would publish: the API entry point and its types, the CLI
// (the bundle `bin` names, with its engine), the schema; never test code or the
// fake backend. And the packed CLI runs from where an install puts it.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { repoRoot, tempDir } from '../helpers/cli.js';

it('the package holds dist/index.js with its types, the bundled CLI, and no test code', () => {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: repoRoot, encoding: 'utf8' });
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path);
  expect(files).toContain('dist/index.js');
  expect(files).toContain('dist/index.d.ts');
  expect(files).toContain('dist/bundle/tug.cjs');
  expect(files).toContain('dist/bundle/boot.cjs');
  expect(files).toContain('dist/bundle/engine-main.cjs');
  const bin = (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: { tug: string } }).bin.tug;
  expect(files).toContain(bin);
  expect(files.filter((f) => /(^|\/)test\/|\.test\.|fake/i.test(f))).toEqual([]);
  expect(new Set(files.map((f) => f.split('/')[0]))).toEqual(new Set(['README.md', 'package.json', 'dist', 'schemas']));
});

// As `npm install` lays it out: the packed files in a directory of their own
// (dependencies found through node_modules beside them), the bin run by path.
it('the packed bin runs: --version reads the packed package.json, config loads a project', () => {
  const dir = tempDir('tug-pack-');
  const packed = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir], { cwd: repoRoot, encoding: 'utf8' });
  const name = (JSON.parse(packed) as { filename: string }[])[0]!.filename;
  const pkgDir = join(dir, 'package');
  execFileSync('tar', ['xzf', join(dir, name), '-C', dir]);
  symlinkSync(join(repoRoot, 'node_modules'), join(pkgDir, 'node_modules'));
  const bin = join(pkgDir, (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { bin: { tug: string } }).bin.tug);
  expect(statSync(bin).mode & 0o111).not.toBe(0);
  expect(readFileSync(bin, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env -S node --');

  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', NO_COLOR: '1', TUG_HOME: join(dir, 'home') };
  // Run as a program (through its shebang), the way the installed command is.
  const version = spawnSync(bin, ['--version'], { env, encoding: 'utf8' });
  expect(version.stdout).toBe(`tug version ${(JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version}\n`);
  expect(version.status).toBe(0);

  const project = join(dir, 'proj');
  mkdirSync(project);
  writeFileSync(join(project, 'compose.yaml'), 'services:\n  web:\n    image: nginx:1.27\n    ports: ["8080:80"]\n');
  const config = spawnSync(bin, ['config', '--format', 'json'], { cwd: project, env, encoding: 'utf8' });
  expect(config.stderr).toBe('');
  expect(config.status).toBe(0);
  expect(JSON.parse(config.stdout)).toMatchObject({ name: 'proj', services: { web: { image: 'nginx:1.27', ports: [{ published: '8080', target: 80 }] } } });
  // The YAML printer is loaded lazily from the bundle (a require of `yaml` at run time).
  const yaml = spawnSync(bin, ['config'], { cwd: project, env, encoding: 'utf8' });
  expect(yaml.status).toBe(0);
  expect(yaml.stdout).toContain('image: nginx:1.27');
}, 60_000);

// `tug build` and `tug builder prune` through the built CLI, on the native
// backend (runc RUN containers, the image store under a private TUG_HOME):
// step lines and CACHED on stderr, -q printing only the image ID, the flags
// (--build-arg, --no-cache), a failing RUN and a refused build network as
// located errors with exit code 1, prune keeping what the current image needs,
// cache_from serving a pruned cache; and the compose-classic
// example builds as its README says.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { repoRoot, tempProject, tug } from '../helpers/cli.js';
import { describeIsolation } from '../helpers/isolation.js';

const DOCKERFILE = ['FROM busybox-base:1', 'ARG MSG=first', 'RUN echo "message $MSG" > /msg && echo "wrote $MSG"', 'COPY note.txt /note.txt', 'CMD ["cat", "/msg"]', ''].join('\n');

let home: string;
let baseTar: string;
const dirs: string[] = [];
const env = () => ({ TUG_HOME: home });

function project(files: Record<string, string>): string {
  const dir = tempProject({ 'compose.yaml': 'services:\n  app:\n    build: .\n', ...files }, 'tug-build-cli-');
  dirs.push(dir);
  return dir;
}

describeIsolation('tug build on the native backend', () => {
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'tug-build-cli-home-'));
    baseTar = join(home, 'base.tar');
    execFileSync(join(repoRoot, 'examples/compose-classic/make-base.sh'), [baseTar], { stdio: 'ignore' });
    const loaded = tug(['image', 'load', '-i', baseTar], { cwd: home, env: env() });
    expect(loaded.stdout).toContain('busybox-base:1');
  });
  afterAll(() => {
    rmSync(home, { recursive: true, force: true });
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('builds with step lines, rebuilds from the cache, and honours -q, --build-arg and --no-cache', () => {
    const dir = project({ Dockerfile: DOCKERFILE, 'note.txt': 'n\n' });
    const cold = tug(['build'], { cwd: dir, env: env() });
    expect(cold.stderr).toContain('[app 2/3] RUN echo "message $MSG"');
    expect(cold.stderr).toContain('[app 2/3] | wrote first');
    expect(cold.stderr).toMatch(/app built sha256:[0-9a-f]{12} in .* \(0 of 2 steps cached\), tagged .*-app/);
    expect(cold.code).toBe(0);
    const quiet = tug(['build', '-q'], { cwd: dir, env: env() });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
    expect(tug(['image', 'ls', '-q'], { cwd: dir, env: env() }).stdout).toContain(quiet.stdout.slice(7, 19));
    const warm = tug(['build'], { cwd: dir, env: env() });
    expect(warm.stderr).toContain('RUN echo "message $MSG" > /msg && echo "wrote $MSG" CACHED');
    expect(warm.stderr).toContain('(2 of 2 steps cached)');
    const arg = tug(['build', '--build-arg', 'MSG=second'], { cwd: dir, env: env() });
    expect(arg.stderr).toContain('| wrote second');
    expect(arg.code).toBe(0);
    const fresh = tug(['build', '--no-cache', '--build-arg', 'MSG=second'], { cwd: dir, env: env() });
    expect(fresh.stderr).toContain('(0 of 2 steps cached)');
  }, 120_000);

  it('reports a failing RUN with Dockerfile:line, its exit code and output, exit status 1', () => {
    const dir = project({ Dockerfile: ['FROM busybox-base:1', 'RUN echo ok', 'RUN echo "about to fail" && exit 7', ''].join('\n') });
    const r = tug(['build'], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Dockerfile:3');
    expect(r.stderr).toContain('exit code 7');
    expect(r.stderr).toContain('about to fail');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 60_000);

  it('refuses a build network it cannot give, at its place in the Compose file', () => {
    const dir = project({ 'compose.yaml': 'services:\n  app:\n    build:\n      context: .\n      network: buildnet\n', Dockerfile: DOCKERFILE, 'note.txt': 'n\n' });
    const r = tug(['build'], { cwd: dir, env: env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/compose\.yaml:5:\d+ services\.app\.build\.network: build\.network buildnet is not supported/);
    expect(r.stderr).toContain('hint: set network: host');
    expect(r.stderr).not.toMatch(/internal error|\n\s+at /);
  }, 60_000);

  it('prunes the cache no image uses, and with --all everything; refuses to ask without a terminal', () => {
    const dir = project({ Dockerfile: DOCKERFILE, 'note.txt': 'n\n' });
    expect(tug(['build', '--build-arg', 'MSG=old-version'], { cwd: dir, env: env() }).code).toBe(0);
    expect(tug(['build', '--build-arg', 'MSG=new-version'], { cwd: dir, env: env() }).code).toBe(0);
    const asked = tug(['builder', 'prune'], { cwd: dir, env: env() });
    expect(asked.code).toBe(2);
    expect(asked.stderr).toContain('-f');
    const pruned = tug(['builder', 'prune', '-f'], { cwd: dir, env: env() });
    expect(pruned.code).toBe(0);
    expect(pruned.stdout).toMatch(/Deleted [1-9]\d* cache entr(y|ies) and [1-9]\d* layers?/);
    // What the tagged image is made of stayed: the current version is still all cached.
    expect(tug(['build', '--build-arg', 'MSG=new-version'], { cwd: dir, env: env() }).stderr).toContain('(2 of 2 steps cached)');
    expect(tug(['build', '--build-arg', 'MSG=old-version'], { cwd: dir, env: env() }).stderr).toContain('| wrote old-version');
    expect(tug(['builder', 'prune', '-f', '--all'], { cwd: dir, env: env() }).code).toBe(0);
    expect(tug(['build', '--build-arg', 'MSG=old-version'], { cwd: dir, env: env() }).stderr).toContain('(0 of 2 steps cached)');
  }, 120_000);

  it('reuses the steps of a cache_from image after the build cache was pruned', () => {
    const compose = (image: string, cacheFrom: string[]) => `services:\n  app:\n    image: ${image}\n    build:\n      context: .\n${cacheFrom.length > 0 ? `      cache_from: [${cacheFrom.map((c) => JSON.stringify(c)).join(', ')}]\n` : ''}`;
    const dir = project({ 'compose.yaml': compose('tug-cache-src:1', []), Dockerfile: DOCKERFILE, 'note.txt': 'cache-from\n' });
    const write = (text: string) => writeFileSync(join(dir, 'compose.yaml'), text);
    expect(tug(['build'], { cwd: dir, env: env() }).stderr).toContain('(0 of 2 steps cached)');
    expect(tug(['builder', 'prune', '-f', '--all'], { cwd: dir, env: env() }).code).toBe(0);
    write(compose('tug-cache-user:1', ['tug-cache-src:1', 'type=registry,ref=registry.example/app:cache']));
    const reused = tug(['build'], { cwd: dir, env: env() });
    expect(reused.code).toBe(0);
    expect(reused.stderr).toContain('RUN echo "message $MSG" > /msg && echo "wrote $MSG" CACHED');
    expect(reused.stderr).toContain('COPY note.txt /note.txt CACHED');
    expect(reused.stderr).toContain('(2 of 2 steps cached)');
    expect(reused.stderr).toContain('notice: cache_from type=registry,ref=registry.example/app:cache');
    expect(tug(['builder', 'prune', '-f', '--all'], { cwd: dir, env: env() }).code).toBe(0);
    write(compose('tug-cache-user:1', []));
    expect(tug(['build'], { cwd: dir, env: env() }).stderr).toContain('(0 of 2 steps cached)');
  }, 120_000);

  it('builds the compose-classic example', () => {
    const r = tug(['build'], { cwd: join(repoRoot, 'examples/compose-classic'), env: env() });
    expect(r.stderr).toContain('web built');
    expect(r.code).toBe(0);
    expect(tug(['image', 'ls'], { cwd: home, env: env() }).stdout).toContain('compose-classic-web');
  }, 60_000);
});

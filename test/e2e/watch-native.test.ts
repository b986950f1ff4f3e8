// `tug watch` on the native backend, process mode, through the built CLI: a
// node server whose code is restarted on change and whose static files are
// synced (inside the project directory), ignored paths, exec hooks, the live
// reload of compose.yaml (scale one service, the other keeps its process;
// a broken file is rejected with its location and changes nothing; the fix is
// applied), one watch per project, and the inotify watches the CLI holds over
// a 20,000-file node_modules.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inotifyWatchCount } from '../../src/runtime/watch/inotify.js';
import { tempProject, tug } from '../helpers/cli.js';
import { destroyHome, freePort, tempHome, uniqueProject, until } from '../helpers/native-env.js';
import { startWatch, stopWatches } from '../helpers/watch-cli.js';

const homes: string[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await stopWatches();
  for (const h of homes.splice(0)) destroyHome(h);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

// Reads its greeting once, at start: only a restart serves a new one. Files under public/ are read per request.
const SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const greeting = fs.readFileSync(__dirname + '/greeting.txt', 'utf8').trim();
http.createServer((req, res) => {
  if (req.url === '/') return res.end(greeting);
  try { res.end(fs.readFileSync(__dirname + '/../public' + req.url)); } catch { res.statusCode = 404; res.end('missing'); }
}).listen(Number(process.env.PORT), '127.0.0.1');
`;

function compose(port: number, extra = ''): string {
  return `services:
  web:
    command: ["node", "src/server.js"]
    environment: { PORT: "${port}" }
    develop:
      watch:
        - path: ./src
          target: ./src
          action: sync+restart
          ignore: [scratch/]
        - path: ./assets
          target: ./public
          action: sync+exec
          exec:
            command: ["sh", "-c", "echo \\"$$HOOK_WORD\\" > hook.txt"]
            environment: { HOOK_WORD: hooked }
  other:
    command: ["sleep", "1000"]
    develop:
      watch:
        - { path: ./other.conf, action: restart }
${extra}`;
}

async function setup(extraFiles: Record<string, string> = {}) {
  const home = tempHome();
  homes.push(home);
  const port = await freePort();
  const dir = tempProject({
    'compose.yaml': compose(port),
    'src/server.js': SERVER,
    'src/greeting.txt': 'hello v1\n',
    'assets/page.txt': 'page v1\n',
    'public/.keep': '',
    'other.conf': 'a=1\n',
    ...extraFiles,
  });
  dirs.push(dir);
  const project = uniqueProject('w');
  const env = { TUG_HOME: home };
  const cli = (args: string[]) => tug(['-p', project, ...args], { cwd: dir, env });
  const get = async (path: string): Promise<string> => {
    try {
      return await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
    } catch {
      return '';
    }
  };
  const rows = () =>
    cli(['ps', '--format', 'json']).stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Name: string; Service: string; Pid: number; State: string });
  const watch = (args: string[] = []) => startWatch(['-p', project, 'watch', ...args], { cwd: dir, env });
  const write = (rel: string, text: string) => writeFileSync(join(dir, rel), text);
  return { dir, port, project, cli, get, rows, watch, write };
}

describe('tug watch, native process mode', () => {
  it('brings the project up, restarts on a code change (sync+restart), syncs and deletes files, runs the exec hook, restarts on restart rules, and Ctrl-C leaves it running', async () => {
    const p = await setup();
    const w = p.watch();
    await w.next('watching');
    // sync+restart onto its own path: in process mode nothing is copied, and tug says so once.
    expect((await w.next('notice')).message).toContain('nothing is copied');
    await until(async () => (await p.get('/')) === 'hello v1', 'the server');
    const before = p.rows().find((r) => r.Service === 'web')!.Pid;
    const otherBefore = p.rows().find((r) => r.Service === 'other')!.Pid;

    p.write('src/greeting.txt', 'hello v2\n');
    await w.next('restart', (e) => e.service === 'web');
    await until(async () => (await p.get('/')) === 'hello v2', 'the new greeting served');
    expect(p.rows().find((r) => r.Service === 'web')!.Pid).not.toBe(before);

    const seen = w.events().length;
    p.write('assets/page.txt', 'page v2\n');
    await w.next('sync', (e) => e.replica?.endsWith('web-1') === true, seen);
    expect(await p.get('/page.txt')).toBe('page v2\n');
    const hook = await w.next('exec', () => true, seen);
    expect(hook.exitCode).toBe(0);
    // The hook ran in the replica's working directory with its environment.
    expect(readFileSync(join(p.dir, 'hook.txt'), 'utf8')).toBe('hooked\n');

    const beforeDelete = w.events().length;
    rmSync(join(p.dir, 'assets/page.txt'));
    const removal = await w.next('sync', () => true, beforeDelete);
    expect(removal.removed).toBe(1);
    expect(existsSync(join(p.dir, 'public/page.txt'))).toBe(false);
    expect(await p.get('/page.txt')).toBe('missing');

    // A restart rule on another service restarts that one only.
    const beforeRestart = w.events().length;
    p.write('other.conf', 'a=2\n');
    const restarted = await w.next('restart', () => true, beforeRestart);
    expect(restarted.service).toBe('other');
    expect(p.rows().find((r) => r.Service === 'other')!.Pid).not.toBe(otherBefore);

    expect(await w.interrupt()).toBe(130);
    expect(p.rows().map((r) => r.State)).toEqual(['running', 'running']);
  });

  it('Ctrl-C during a long exec hook ends watching at once with 130: the hook is ended, the project keeps running', async () => {
    const p = await setup();
    // A hook that says it started, then runs far longer than the test waits, deaf to the Ctrl-C the CLI passes on to commands.
    const marker = `${p.port}.5`;
    p.write('compose.yaml', compose(p.port).replace('command: ["sh", "-c", "echo \\"$$HOOK_WORD\\" > hook.txt"]', `command: ["sh", "-c", "trap '' INT; echo started > hook.txt; exec sleep ${marker}"]`));
    const w = p.watch();
    await w.next('watching');
    await until(async () => (await p.get('/')) === 'hello v1', 'the server');
    p.write('assets/page.txt', 'page v2\n');
    await until(() => existsSync(join(p.dir, 'hook.txt')), 'the hook to start');
    const hookRunning = () => execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).split('\n').some((l) => l.trim() === `sleep ${marker}`);
    expect(hookRunning()).toBe(true);
    const interrupted = performance.now();
    expect(await w.interrupt()).toBe(130);
    // Not the hook's ${marker} s: watching ended at once, and the hook with it.
    expect(performance.now() - interrupted).toBeLessThan(10_000);
    await until(() => !hookRunning(), 'the hook to end');
    expect(p.rows().map((r) => r.State)).toEqual(['running', 'running']);
  });

  it('does nothing for an ignored path or an editor temp file', async () => {
    const p = await setup({ 'src/scratch/.keep': '' });
    const w = p.watch();
    await w.next('watching');
    const pid = (await until(() => p.rows().find((r) => r.Service === 'web'), 'web')).Pid;
    const seen = w.events().length;
    p.write('src/scratch/notes.js', 'ignored\n');
    p.write('src/.server.js.swp', 'vim\n');
    p.write('src/server.js~', 'backup\n');
    // Longer than the quiet window and a restart: had anything been acted upon, it would show by now.
    await new Promise((r) => setTimeout(r, 800));
    expect(w.events().slice(seen)).toEqual([]);
    expect(p.rows().find((r) => r.Service === 'web')!.Pid).toBe(pid);
  });

  it('reloads compose.yaml: a scaled service changes its count, the other keeps its process; a broken file is rejected; the fix applies', async () => {
    const p = await setup();
    const w = p.watch();
    await w.next('watching');
    const webPid = (await until(() => p.rows().find((r) => r.Service === 'web'), 'web')).Pid;
    const otherPid = p.rows().find((r) => r.Service === 'other')!.Pid;

    p.write('compose.yaml', compose(p.port, '    scale: 3\n'));
    const reload = await w.next('reload');
    expect(reload.services).toEqual([{ service: 'other', change: 'scaled' }]);
    await until(() => p.rows().filter((r) => r.Service === 'other').length === 3, 'three replicas of other');
    expect(p.rows().find((r) => r.Service === 'web')!.Pid).toBe(webPid);
    expect(p.rows().find((r) => r.Name.endsWith('other-1'))!.Pid).toBe(otherPid);

    const seen = w.events().length;
    p.write('compose.yaml', compose(p.port, '    scale: 1\n    prots: [80]\n'));
    const rejected = await w.next('reload-rejected', () => true, seen);
    const errors = rejected.errors as { message: string; location?: { file: string; line: number; column: number } }[];
    expect(errors[0]!.location).toMatchObject({ line: 23 });
    expect(errors[0]!.location!.file).toContain('compose.yaml');
    await new Promise((r) => setTimeout(r, 300));
    expect(p.rows().filter((r) => r.Service === 'other')).toHaveLength(3);

    p.write('compose.yaml', compose(p.port, '    scale: 1\n'));
    const fixed = await w.next('reload', () => true, seen);
    expect(fixed.services).toEqual([{ service: 'other', change: 'scaled' }]);
    await until(() => p.rows().filter((r) => r.Service === 'other').length === 1, 'one replica of other');
    expect(p.rows().find((r) => r.Service === 'web')!.Pid).toBe(webPid);
  });

  it('reloads when a .env appears or an env_file changes: the service that uses it is reconfigured', async () => {
    const p = await setup({ 'other.env': 'MODE=a\n' });
    p.write('compose.yaml', compose(p.port, '    env_file: [other.env]\n').replace('PORT: "', 'GREETING: "${GREETING:-plain}", PORT: "'));
    const w = p.watch();
    await w.next('watching');
    p.write('.env', 'GREETING=fancy\n');
    expect((await w.next('reload')).services).toEqual([{ service: 'web', change: 'reconfigured' }]);
    const seen = w.events().length;
    p.write('other.env', 'MODE=b\n');
    expect((await w.next('reload', () => true, seen)).services).toEqual([{ service: 'other', change: 'reconfigured' }]);
  });

  it('refuses a second watch of the project, naming the first one\'s pid', async () => {
    const p = await setup();
    const w = p.watch();
    await w.next('watching');
    const second = p.cli(['watch', '--no-up']);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`already being watched by another tug watch (pid ${w.pid})`);
    // Once the first has stopped, watching is free again.
    await w.interrupt();
    const third = p.watch(['--no-up']);
    await third.next('watching');
  });

  it('holds a handful of inotify watches over a 20,000-file node_modules', async () => {
    const p = await setup();
    for (let d = 0; d < 200; d++) {
      const sub = join(p.dir, 'src', 'node_modules', `pkg${d}`);
      mkdirSync(sub, { recursive: true });
      for (let f = 0; f < 100; f++) writeFileSync(join(sub, `f${f}.js`), '');
    }
    p.write('compose.yaml', compose(p.port).replace('ignore: [scratch/]', 'ignore: [scratch/, node_modules/]'));
    const w = p.watch();
    await w.next('watching');
    // src, assets, and the project directory (compose.yaml): a few watches; one per node_modules directory would be 201 more.
    expect(inotifyWatchCount(w.pid)).toBeLessThan(20);
    // Writing 20,000 files and bringing the project up takes seconds on a busy machine.
  }, 90_000);
});

describe('sync rules the native backend will not carry out', () => {
  it('says once why a sync outside the project (process mode) or onto a host-rooted container\'s read-only root is not done, and keeps watching', async () => {
    const p = await setup();
    p.write(
      'compose.yaml',
      `services:
  host:
    command: ["sleep", "1000"]
    develop:
      watch:
        - { path: ./src, target: /etc/tug-should-never-write, action: sync+restart }
  boxed:
    command: ["sleep", "1000"]
    x-tug: { isolation: container }
    develop:
      watch:
        - { path: ./assets, target: /app, action: sync }
`,
    );
    const w = p.watch(['--no-up']);
    await w.next('watching');
    const errors = w.events().filter((e) => e.type === 'error').map((e) => e.error as { code: string; message: string });
    expect(errors.map((e) => e.code).sort()).toEqual(['watch.sync-outside-project', 'watch.sync-read-only-root']);
    expect(errors.find((e) => e.code === 'watch.sync-outside-project')!.message).toContain('tug writes only inside the project directory');
    expect(errors.find((e) => e.code === 'watch.sync-read-only-root')!.message).toContain('rooted in the host\'s file system, read-only');
    expect(existsSync('/etc/tug-should-never-write')).toBe(false);
  });
});

describe('up --watch, and the API', () => {
  it('refuses -d and --no-build as Compose does, and a project without rules', async () => {
    const p = await setup();
    for (const flags of [['-d'], ['--no-build'], ['--wait']]) {
      const r = p.cli(['up', '--watch', ...flags]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('--watch cannot be combined with');
    }
    p.write('compose.yaml', 'services:\n  plain:\n    command: ["sleep", "1"]\n');
    const none = p.cli(['watch']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('nothing to watch: no service has develop.watch rules');
    expect(p.rows()).toEqual([]);
  });

  it('up --watch acts on edits while attached; Ctrl-C stops the services as attached up does', async () => {
    const p = await setup();
    const w = startWatch(['-p', p.project, 'up', '--watch'], { cwd: p.dir, env: { TUG_HOME: homes.at(-1)! } });
    await w.next('watching');
    p.write('src/greeting.txt', 'hello v2\n');
    await w.next('restart', (e) => e.service === 'web');
    await until(async () => (await p.get('/')) === 'hello v2', 'the new greeting served');
    expect(await w.interrupt()).toBe(130);
    expect(p.cli(['ps', '-a', '--format', 'json']).stdout).toContain('"State":"exited"');
  });

  it('Project.watch() yields the events and stop() ends watching with the project left running', async () => {
    const p = await setup();
    const { openProject } = await import('../../src/index.js');
    const project = await openProject({ projectDirectory: p.dir, projectName: p.project, env: { ...process.env, TUG_HOME: homes.at(-1)! } });
    try {
      const handle = await project.watch();
      const seen: string[] = [];
      const reading = (async () => {
        for await (const e of handle) {
          seen.push(e.type);
          if (e.type === 'restart') await handle.stop();
        }
      })();
      await until(() => seen.includes('watching'), 'watching');
      p.write('src/greeting.txt', 'hello v3\n');
      await reading;
      await handle.done;
      expect(seen).toContain('restart');
      expect((await project.ps()).map((r) => r.State)).toEqual(['running', 'running']);
    } finally {
      await project.down();
      await project.close();
    }
  });
});

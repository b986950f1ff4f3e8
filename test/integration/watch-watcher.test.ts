// The watcher on a real tree: ignored trees cost no inotify watch (counted in
// /proc/self/fdinfo), and edits, deletions and renames arrive while ignored
// paths produce nothing.
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileRule } from '../../src/engine/watch/match.js';
import { inotifyWatchCount } from '../../src/runtime/watch/inotify.js';
import { watchRoots, type FileWatcher, type WatcherEvent } from '../../src/runtime/watch/watcher.js';

const IGNORED_FILES = 20_000;

let dir: string;
let src: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'tug-watch-'));
  src = join(dir, 'src');
  mkdirSync(join(src, 'lib'), { recursive: true });
  writeFileSync(join(src, 'index.js'), 'one\n');
  writeFileSync(join(src, 'lib', 'util.js'), 'util\n');
  writeFileSync(join(dir, 'compose.yaml'), 'services: {}\n');
  // 20,000 files in 200 directories under node_modules, and a .git with some of its own.
  for (let d = 0; d < 200; d++) {
    const pkg = join(src, 'node_modules', `pkg${d}`);
    mkdirSync(pkg, { recursive: true });
    for (let f = 0; f < IGNORED_FILES / 200; f++) writeFileSync(join(pkg, `f${f}.js`), '');
  }
  mkdirSync(join(src, '.git', 'objects'), { recursive: true });
  writeFileSync(join(src, '.git', 'HEAD'), 'ref\n');
}, 120_000);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function start(): { watcher: FileWatcher; events: WatcherEvent[]; next: (pred: (e: WatcherEvent) => boolean) => Promise<WatcherEvent> } {
  const events: WatcherEvent[] = [];
  const waiters: { pred: (e: WatcherEvent) => boolean; resolve: (e: WatcherEvent) => void }[] = [];
  const rule = compileRule({ service: 'web', index: 0, rule: { path: src, action: 'sync', target: '/app', ignore: ['node_modules'] } });
  const watcher = watchRoots(
    [
      { id: 'web#0', path: src, prunes: (p, isDir) => rule.prunes(p, isDir) },
      { id: 'project', path: join(dir, 'compose.yaml') },
    ],
    (event) => {
      events.push(event);
      for (const w of waiters.splice(0)) {
        if (w.pred(event)) w.resolve(event);
        else waiters.push(w);
      }
    },
  );
  const next = (pred: (e: WatcherEvent) => boolean) =>
    new Promise<WatcherEvent>((resolve, reject) => {
      const seen = events.find(pred);
      if (seen) return resolve(seen);
      waiters.push({ pred, resolve });
      setTimeout(() => reject(new Error('no such watch event within 10 s')), 10_000).unref();
    });
  return { watcher, events, next };
}

const changeOf = (kind: string, path: string) => (e: WatcherEvent) => e.type === 'change' && e.kind === kind && e.path === path;

describe('the file watcher', () => {
  it('never descends into an ignored node_modules of 20,000 files: a handful of inotify watches', async () => {
    const before = inotifyWatchCount();
    expect(before, 'needs /proc/self/fdinfo').toBeDefined();
    const { watcher, events } = start();
    await watcher.ready;
    const used = inotifyWatchCount()! - before!;
    await watcher.close();
    // src, src/lib, two files, compose.yaml and its directory: far from the 20,000+ a naive watch takes.
    expect(used).toBeGreaterThan(0);
    expect(used).toBeLessThan(20);
    expect(events.filter((e) => e.type === 'error')).toEqual([]);
    expect(inotifyWatchCount()! - before!).toBe(0);
  }, 60_000);

  it('reports an edit, a new file, a deletion and a rename, with paths relative to each root', async () => {
    const { watcher, next } = start();
    await watcher.ready;
    try {
      writeFileSync(join(src, 'index.js'), 'two\n');
      const edit = await next(changeOf('change', join(src, 'index.js')));
      expect(edit).toEqual({ type: 'change', kind: 'change', path: join(src, 'index.js'), roots: [{ id: 'web#0', rel: 'index.js' }] });

      writeFileSync(join(src, 'lib', 'new.js'), 'new\n');
      await next(changeOf('add', join(src, 'lib', 'new.js')));

      rmSync(join(src, 'lib', 'util.js'));
      await next(changeOf('unlink', join(src, 'lib', 'util.js')));

      renameSync(join(src, 'lib', 'new.js'), join(src, 'renamed.js'));
      await next(changeOf('add', join(src, 'renamed.js')));
      await next(changeOf('unlink', join(src, 'lib', 'new.js')));

      writeFileSync(join(dir, 'compose.yaml'), 'services: {web: {image: x}}\n');
      const reload = await next(changeOf('change', join(dir, 'compose.yaml')));
      expect(reload.type === 'change' && reload.roots).toEqual([{ id: 'project', rel: '' }]);
    } finally {
      await watcher.close();
    }
  }, 60_000);

  it('reports nothing for ignored paths: node_modules, .git, editor temp files, files beside the Compose file', async () => {
    const { watcher, events, next } = start();
    await watcher.ready;
    try {
      writeFileSync(join(src, 'node_modules', 'pkg1', 'f1.js'), 'changed\n');
      writeFileSync(join(src, 'node_modules', 'added.js'), 'x\n');
      writeFileSync(join(src, '.git', 'HEAD'), 'other\n');
      writeFileSync(join(src, '.index.js.swp'), 'swap\n');
      writeFileSync(join(src, 'index.js~'), 'backup\n');
      writeFileSync(join(src, '4913'), '');
      writeFileSync(join(dir, 'notes.txt'), 'beside compose.yaml\n');
      // A change that counts, made after the others: once it arrives, theirs would have too.
      writeFileSync(join(src, 'sentinel.js'), 's\n');
      await next(changeOf('add', join(src, 'sentinel.js')));
      const changes = events.filter((e) => e.type === 'change').map((e) => (e.type === 'change' ? e.path : ''));
      expect(changes).toEqual([join(src, 'sentinel.js')]);
    } finally {
      await watcher.close();
    }
  }, 60_000);

  it('closes cleanly before the initial scan is done, leaving no watch behind', async () => {
    const before = inotifyWatchCount()!;
    const { watcher } = start();
    await watcher.close();
    await watcher.ready;
    expect(inotifyWatchCount()! - before).toBe(0);
  });

  it('reports a root that does not exist as an error and watches the others', async () => {
    const events: WatcherEvent[] = [];
    const watcher = watchRoots(
      [
        { id: 'gone', path: join(dir, 'missing') },
        { id: 'project', path: join(dir, 'compose.yaml') },
      ],
      (e) => events.push(e),
    );
    await watcher.ready;
    await watcher.close();
    expect(events.map((e) => (e.type === 'error' ? e.error.code : e.type))).toEqual(['watch.missing-path', 'ready']);
  });
});

import { describe, expect, it } from 'vitest';
import type { WatchRule } from '../../src/core/watch/rules.js';
import { compileRule, EDITOR_TEMP_PATTERNS, isEditorTemp, joinTarget } from '../../src/engine/watch/match.js';
import { ignoreMatcher } from '../../src/runtime/context/ignore.js';

const rule = (r: Partial<WatchRule>) => compileRule({ service: 'web', index: 0, rule: { path: '/proj/src', action: 'sync', target: '/app', ...r } });

describe('watch rule matching', () => {
  it('takes paths under the rule path and maps them onto the target', () => {
    const m = rule({});
    expect(m.match('/proj/src/a.js')).toEqual({ rel: 'a.js', target: '/app/a.js' });
    expect(m.match('/proj/src/lib/deep/b.ts')).toEqual({ rel: 'lib/deep/b.ts', target: '/app/lib/deep/b.ts' });
    expect(m.match('/proj/src')).toEqual({ rel: '', target: '/app' });
    expect(m.match('/proj/srcs/a.js')).toBeUndefined();
    expect(m.match('/proj/other.js')).toBeUndefined();
  });

  it('maps a rule on a single file to the target itself', () => {
    const m = rule({ path: '/proj/package.json', target: '/app/package.json' });
    expect(m.match('/proj/package.json')).toEqual({ rel: '', target: '/app/package.json' });
    expect(m.match('/proj/package.json.bak')).toBeUndefined();
  });

  it('has no target for rules that do not sync', () => {
    expect(rule({ action: 'restart', target: undefined }).match('/proj/src/a.js')).toEqual({ rel: 'a.js' });
  });

  it('leaves out the rule ignore patterns, relative to the rule path', () => {
    const m = rule({ ignore: ['node_modules/', '*.log', '**/dist'] });
    expect(m.match('/proj/src/node_modules/x/index.js')).toBeUndefined();
    expect(m.match('/proj/src/debug.log')).toBeUndefined();
    expect(m.match('/proj/src/pkg/dist/out.js')).toBeUndefined();
    expect(m.match('/proj/src/lib/debug.log')).toEqual({ rel: 'lib/debug.log', target: '/app/lib/debug.log' });
    expect(m.match('/proj/src/index.js')).toBeDefined();
  });

  it('counts only included paths when include is set', () => {
    const m = rule({ include: ['*.js', 'views'] });
    expect(m.match('/proj/src/a.js')).toBeDefined();
    expect(m.match('/proj/src/views/home.html')).toBeDefined();
    expect(m.match('/proj/src/a.css')).toBeUndefined();
  });

  it('leaves out .git and .idea anywhere below the rule, and editor temp files', () => {
    const m = rule({});
    for (const p of ['.git/index', 'sub/.git/HEAD', '.idea/workspace.xml', '.a.js.swp', '.a.js.swx', 'a.js~', '4913', '.#a.js', '#a.js#', 'a.js___jb_tmp___', 'a.js___jb_old___', '.a.kate-swp', 'x-go-tmp-umask']) {
      expect(m.match(`/proj/src/${p}`), p).toBeUndefined();
    }
    expect(m.match('/proj/src/git/x')).toBeDefined();
    expect(m.match('/proj/src/a.swp')).toBeDefined(); // not a vim swap file: vim's start with a dot
    expect(EDITOR_TEMP_PATTERNS.length).toBeGreaterThan(5);
    expect(isEditorTemp('#')).toBe(false);
  });

  it("honours the build context's ignore file for rules under the context, relative to the context", () => {
    const context = { dir: '/proj', matcher: ignoreMatcher('src/generated\n*.tmp\n') };
    const m = compileRule({ service: 'web', index: 0, rule: { path: '/proj/src', action: 'sync', target: '/app' } }, context);
    expect(m.match('/proj/src/generated/x.js')).toBeUndefined();
    expect(m.match('/proj/src/x.tmp')).toBeDefined(); // "*.tmp" is only the context root
    expect(m.match('/proj/src/x.js')).toBeDefined();
    const outside = compileRule({ service: 'web', index: 0, rule: { path: '/elsewhere', action: 'sync', target: '/app' } }, context);
    expect(outside.match('/elsewhere/src/generated/x.js')).toBeDefined();
  });

  it('prunes ignored directories for the watcher, but not ancestors of the rule or directories include may need', () => {
    const m = rule({ ignore: ['node_modules'], include: ['*.js', 'lib/**/*.js'] });
    expect(m.prunes('/proj/src/node_modules', true)).toBe(true);
    expect(m.prunes('/proj/src/.git', true)).toBe(true);
    expect(m.prunes('/proj/src/lib', true)).toBe(false);
    expect(m.prunes('/proj/src/lib', undefined)).toBe(false);
    expect(m.prunes('/proj/src/a.css', false)).toBe(true);
    expect(m.prunes('/proj/src/a.js', false)).toBe(false);
    expect(m.prunes('/proj/src', true)).toBe(false);
    expect(m.prunes('/proj', true)).toBe(false);
    expect(m.prunes('/', true)).toBe(false);
    expect(m.prunes('/proj/other', true)).toBe(true);
  });

  it('reads ignored directories when a "!" pattern may take something back inside them', () => {
    const m = rule({ ignore: ['vendor', '!vendor/keep.js'] });
    expect(m.prunes('/proj/src/vendor', true)).toBe(false);
    expect(m.match('/proj/src/vendor/keep.js')).toBeDefined();
    expect(m.match('/proj/src/vendor/other.js')).toBeUndefined();
  });

  it('joins targets without trailing slashes', () => {
    expect(joinTarget('/app/', '')).toBe('/app');
    expect(joinTarget('/app/', 'a/b')).toBe('/app/a/b');
    expect(joinTarget('/', 'a')).toBe('/a');
    expect(joinTarget('app', 'a')).toBe('app/a');
  });
});

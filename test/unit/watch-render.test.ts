import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { plainChalk } from '../../src/cli/render/colors.js';
import { watchRenderer, type WatchOutputMode } from '../../src/cli/render/watch.js';
import type { WatchEvent } from '../../src/engine/watch/events.js';

const time = Date.UTC(2026, 0, 2, 3, 4, 5);

function render(mode: WatchOutputMode, events: WatchEvent[]): string {
  let text = '';
  const show = watchRenderer(mode, { write: (t) => (text += t), color: plainChalk, cwd: '/proj' });
  for (const e of events) show(e);
  return text;
}

const broken = new TugError({
  code: 'normalize.watch-target',
  message: 'watch rule with action "sync" has no target',
  location: { file: '/proj/compose.yaml', line: 6, column: 11 },
  path: ['services', 'web', 'develop', 'watch', 0],
  hint: 'add target',
});

const events: WatchEvent[] = [
  { type: 'watching', services: ['web', 'api'], paths: ['/proj/src', '/proj/compose.yaml'], time },
  { type: 'sync', service: 'web', replica: 'web-1', files: 3, removed: 0, ms: 12, time },
  { type: 'sync', service: 'web', replica: 'web-2', files: 1, removed: 2, ms: 1450, time },
  { type: 'restart', service: 'api', replicas: ['api-1', 'api-2'], ms: 830, time },
  { type: 'rebuild', service: 'worker', restarted: [], ms: 4200, time },
  { type: 'rebuild', service: 'api', restarted: ['web-1', 'web-2'], ms: 5100, time },
  { type: 'exec', service: 'web', replica: 'web-1', command: ['npm', 'install'], exitCode: 1, output: "", ms: 900, time },
  { type: 'reload', services: [{ service: 'api', change: 'scaled' }, { service: 'cache', change: 'added' }], time },
  { type: 'reload-rejected', errors: [broken], time },
  { type: 'notice', service: 'web', message: 'service "web": nothing is copied', time },
  { type: 'error', service: 'web', replica: 'web-2', error: new TugError({ code: 'sync.failed', message: 'cannot sync files into web-2: gone', hint: 'start it' }), time },
];

describe('watch output', () => {
  it('prints one plain line per action', () => {
    expect(render('plain', events)).toBe(
      [
        '◉ watching 2 paths for web, api (Ctrl-C stops watching; the project keeps running)',
        'web-1 ⟳ synced 3 files (12 ms)',
        'web-2 ⟳ synced 1 file, removed 2 (1.4 s)',
        'api ↻ restarted api-1, api-2 (830 ms)',
        'worker ⚒ rebuilt and recreated (4.2 s)',
        'api ⚒ rebuilt and recreated; restarted web-1, web-2 (5.1 s)',
        'web-1 ▶ ran npm install (exit 1, 900 ms)',
        'api ↺ scaled',
        'cache ↺ added',
        '✘ the project files have errors; the running project is left as it is until they are fixed',
        '  error compose.yaml:6:11 services.web.develop.watch[0]: watch rule with action "sync" has no target',
        '    hint: add target',
        '! service "web": nothing is copied',
        'web-2 ✘ cannot sync files into web-2: gone',
        '  hint: start it',
        '',
      ].join('\n'),
    );
  });

  it('keeps only errors and rejected reloads when quiet', () => {
    const text = render('quiet', events);
    expect(text).not.toContain('synced');
    expect(text).toContain('the project files have errors');
    expect(text).toContain('cannot sync files into web-2');
  });

  it('writes one JSON object per line, with ISO times and structured errors', () => {
    const lines = render('json', events).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(events.length);
    expect(lines[1]).toEqual({ type: 'sync', service: 'web', replica: 'web-1', files: 3, removed: 0, ms: 12, time: '2026-01-02T03:04:05.000Z' });
    expect(lines[8]).toMatchObject({
      type: 'reload-rejected',
      errors: [{ code: 'normalize.watch-target', location: { file: '/proj/compose.yaml', line: 6, column: 11 }, hint: 'add target' }],
    });
    expect(lines[10]).toMatchObject({ type: 'error', replica: 'web-2', error: { code: 'sync.failed', hint: 'start it' } });
  });
});

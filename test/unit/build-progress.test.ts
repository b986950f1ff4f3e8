// How build events read in plain, quiet and JSON modes.
import { describe, expect, it } from 'vitest';
import type { BuildEvent, StepRef } from '../../src/core/build/events.js';
import { buildPrinter } from '../../src/cli/render/build-progress.js';
import { plainChalk } from '../../src/cli/render/colors.js';

const step = (index: number, text: string, line: number): StepRef => ({ label: 'web', index, total: 4, text, location: { file: '/proj/Dockerfile', line, column: 1 } });
const events: BuildEvent[] = [
  { type: 'notice', build: 'web', message: 'the syntax directive (docker/dockerfile:1) is ignored: tug parses Dockerfiles itself', location: { file: '/proj/Dockerfile', line: 1, column: 1 } },
  { type: 'stage-skipped', build: 'web', stage: 'tests' },
  { type: 'step-start', build: 'web', step: step(1, 'FROM busybox', 2) },
  { type: 'step-done', build: 'web', step: step(1, 'FROM busybox', 2), ms: 12 },
  { type: 'step-cached', build: 'web', step: step(2, 'COPY . /app', 3) },
  { type: 'step-start', build: 'web', step: step(3, 'RUN make', 4) },
  { type: 'step-output', build: 'web', step: step(3, 'RUN make', 4), line: 'cc -o app main.c', stream: 'stdout' },
  { type: 'step-done', build: 'web', step: step(3, 'RUN make', 4), ms: 1234 },
  { type: 'build-done', build: 'web', imageId: 'sha256:0123456789abcdef0123', tags: ['proj-web'], ms: 1500, steps: 3, cached: 1 },
];

function print(mode: 'plain' | 'quiet' | 'json', list: BuildEvent[] = events): string {
  let out = '';
  const printer = buildPrinter(mode, (t) => (out += t), { color: plainChalk, cwd: '/proj' });
  list.forEach(printer);
  return out;
}

describe('build progress', () => {
  it('prints plain lines per step, with CACHED, output, times and the result', () => {
    expect(print('plain')).toBe(
      [
        'web notice: the syntax directive (docker/dockerfile:1) is ignored: tug parses Dockerfiles itself (Dockerfile:1)',
        '[web:tests] skipped: the target does not need this stage',
        '[web 1/4] FROM busybox',
        '[web 1/4] DONE 0.0s',
        '[web 2/4] COPY . /app CACHED',
        '[web 3/4] RUN make',
        '[web 3/4] | cc -o app main.c',
        '[web 3/4] DONE 1.2s',
        'web built sha256:0123456789ab in 1.5s (1 of 3 steps cached), tagged proj-web',
        '',
      ].join('\n'),
    );
  });

  it('reports a failure with the exit code, the last lines and Dockerfile:line', () => {
    const failed: BuildEvent = { type: 'step-failed', build: 'web', step: step(4, 'RUN make test', 5), message: 'RUN make test failed with exit code 2', exitCode: 2, lastLines: ['FAIL: test_x', 'make: *** [test] Error 2'], ms: 10 };
    expect(print('plain', [failed])).toBe(
      ['[web 4/4] ERROR RUN make test failed with exit code 2 (Dockerfile:5)', '[web 4/4] last output:', '[web 4/4] | FAIL: test_x', '[web 4/4] | make: *** [test] Error 2', ''].join('\n'),
    );
  });

  it('prints only the image ID when quiet, and one JSON object per event for machines', () => {
    expect(print('quiet')).toBe('sha256:0123456789abcdef0123\n');
    const lines = print('json').trim().split('\n');
    expect(lines).toHaveLength(events.length);
    expect(JSON.parse(lines[4]!)).toEqual(events[4]);
  });
});

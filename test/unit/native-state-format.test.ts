import { describe, expect, it } from 'vitest';
import { journalLine, parseState, snapshotText, statusOf, type EngineState, type ReplicaRecord } from '../../src/runtime/native/state-format.js';
import { specLiteral } from '../helpers/replica-spec.js';

function record(name: string, extra: Partial<ReplicaRecord> = {}): ReplicaRecord {
  return {
    spec: { ...specLiteral({ project: 'demo', service: 'web', name, service_spec: { command: ['sleep', '60'] }, projectDir: '/p' }), hostEnv: {} },
    state: 'created',
    restartCount: 0,
    createdAt: '2024-01-01T00:00:00.000Z',
    ...extra,
  };
}

function snapshot(replicas: ReplicaRecord[], seq = 0): string {
  const state: EngineState = {
    version: 2,
    project: 'demo',
    engine: { pid: 10, procStart: 20, startedAt: '2024-01-01T00:00:00.000Z' },
    savedAt: '2024-01-01T00:00:01.000Z',
    cleanShutdown: false,
    seq,
    replicas,
  };
  return snapshotText(state);
}

const t = (s: number) => `2024-01-01T00:00:${String(s).padStart(2, '0')}.000Z`;

describe('engine state format', () => {
  it('applies the journal on top of the snapshot: new replicas, status changes, removals', () => {
    const a = record('demo-web-1', { state: 'running', pid: 100, pgid: 100, procStart: 5 });
    const b = record('demo-web-2');
    const journal = [
      journalLine({ n: 3, t: t(2), set: 'demo-web-1', s: { ...statusOf(a), health: 'healthy' } }),
      journalLine({ n: 4, t: t(3), put: record('demo-web-3') }),
      journalLine({ n: 5, t: t(4), del: 'demo-web-2' }),
      journalLine({ n: 6, t: t(5), set: 'demo-web-1', s: { state: 'exited', exitCode: 0, restartCount: 0, pgid: 100, procStart: 5 } }),
    ].join('');
    const parsed = parseState(snapshot([a, b], 2), journal, 'demo');
    expect(parsed.problems).toEqual([]);
    expect(parsed.state?.seq).toBe(6);
    expect(parsed.state?.savedAt).toBe(t(5));
    expect(parsed.state?.replicas.map((r) => [r.spec.name, r.state, r.pid, r.exitCode])).toEqual([
      ['demo-web-1', 'exited', undefined, 0],
      ['demo-web-3', 'created', undefined, undefined],
    ]);
  });

  it('skips journal lines the snapshot already includes', () => {
    const journal = journalLine({ n: 1, t: t(1), del: 'demo-web-1' });
    const parsed = parseState(snapshot([record('demo-web-1')], 1), journal, 'demo');
    expect(parsed.state?.replicas.map((r) => r.spec.name)).toEqual(['demo-web-1']);
  });

  it('loses only the last change when the journal tail was torn by a crash', () => {
    const lines = [1, 2, 3].map((i) => journalLine({ n: i, t: t(i), put: record(`demo-web-${i}`) }));
    const torn = lines.join('').slice(0, -40);
    const parsed = parseState(undefined, torn, 'demo');
    expect(parsed.state?.replicas.map((r) => r.spec.name)).toEqual(['demo-web-1', 'demo-web-2']);
    expect(parsed.skippedLines).toBe(1);
    expect(parsed.problems).toEqual([]);
  });

  it('reports a damaged line in the middle of the journal and keeps the rest', () => {
    const journal = journalLine({ n: 1, t: t(1), put: record('demo-web-1') }) + '{"n": 2, garbage\n' + journalLine({ n: 3, t: t(3), put: record('demo-web-3') });
    const parsed = parseState(undefined, journal, 'demo');
    expect(parsed.problems).toEqual(['state.journal line 2 is not a state change']);
    expect(parsed.state?.replicas.map((r) => r.spec.name)).toEqual(['demo-web-1', 'demo-web-3']);
  });

  it('drops records that are not records, says where, and keeps the process groups they name for reaping', () => {
    const text = JSON.stringify({
      version: 1,
      replicas: [null, { spec: { name: '../../etc' }, state: 'running', pgid: 4242, procStart: 77 }, record('demo-web-1', { state: 'nonsense' as never }), record('demo-web-2')],
    });
    const parsed = parseState(text, undefined, 'demo');
    expect(parsed.problems).toEqual([
      'state.json replicas[0] is not a replica record: null is not an object',
      'state.json replicas[1] is not a replica record: spec.project must be a non-empty string',
      'state.json replicas[2] is not a replica record: unknown state "nonsense"',
    ]);
    expect(parsed.orphanGroups).toEqual([{ pgid: 4242, procStart: 77 }]);
    expect(parsed.state?.replicas.map((r) => r.spec.name)).toEqual(['demo-web-2']);
  });

  it('says what is wrong with a file that is not a state at all', () => {
    expect(parseState('{"version": 1, "replicas": {}}', undefined, 'demo').problems).toEqual([
      'state.json is not an engine state (expected {"version": 2, "replicas": [...]})',
    ]);
    expect(parseState('{"version": 1, "repl', undefined, 'demo').problems[0]).toMatch(/^state.json is not JSON \(/);
    expect(parseState(undefined, undefined, 'demo')).toEqual({ problems: [], orphanGroups: [], skippedLines: 0 });
  });
});

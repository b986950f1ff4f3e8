// The engine's saved state with a real engine process: writes proportional
// to the change (not to the number of replicas), a torn journal tail costing
// at most the last change, and a damaged state file set aside with what could
// be recovered (process groups still reaped) instead of an engine that
// cannot start.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarnesses, EngineHarness, engineMain, isAlive, replicaSpec, waitFor, type EngineClient } from '../helpers/native-engine.js';

const supported = process.platform === 'linux' && existsSync(engineMain);
if (!supported) console.warn(`skipping native engine state tests: needs Linux and a build (${engineMain})`);

const harness = engineHarnesses('nes');

/** Bytes the process has passed to write(2) and friends so far (files and sockets alike). */
function bytesWritten(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return Number(/^wchar:\s+(\d+)/m.exec(io)![1]);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Median bytes the engine writes per health flip of one replica, with `idle` other replicas created beside it. */
async function bytesPerHealthFlip(idle: number): Promise<number> {
  const h = harness();
  const engine = await h.start();
  const client = await h.client();
  for (let i = 0; i < idle; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(idle, i + 100); j++) {
      batch.push(client.call('create', { spec: replicaSpec(h.project, 'idle', { command: ['sleep', '60'] }, { number: j + 1 }) }));
    }
    await Promise.all(batch);
  }
  const flag = join(h.home, 'healthy');
  const spec = replicaSpec(h.project, 'flip', {
    command: ['sleep', '60'],
    healthcheck: { test: ['CMD', 'test', '-e', flag], interval: '50ms', retries: 1 },
  });
  await client.call('create', { spec });
  client.subscribe();
  await client.call('start', { id: spec.name });
  const flips = (): number => client.events.filter((e) => e.action === 'health' && e.replica.name === spec.name).length;
  const deltas: number[] = [];
  for (let i = 0; i < 9; i++) {
    const seen = flips();
    const before = bytesWritten(engine.process.pid!);
    if (i % 2 === 0) writeFileSync(flag, '');
    else rmSync(flag);
    await waitFor(() => flips() > seen, 10_000, `health flip ${i + 1}`);
    deltas.push(bytesWritten(engine.process.pid!) - before);
  }
  return median(deltas);
}

async function running(h: EngineHarness): Promise<EngineClient> {
  await h.start();
  return h.client();
}

describe.skipIf(!supported)('engine state', () => {
  it('writes about as much per health flip with 1000 replicas as with 10', async () => {
    const small = await bytesPerHealthFlip(9);
    const large = await bytesPerHealthFlip(999);
    expect(small).toBeLessThan(4_096);
    expect(large).toBeLessThan(small * 1.5 + 512);
  }, 120_000);

  it('loses at most the last change when the engine dies with a torn journal tail', async () => {
    const h = harness();
    const first = await h.start();
    const client = await h.client();
    const names: string[] = [];
    for (let i = 1; i <= 4; i++) {
      const spec = replicaSpec(h.project, 'web', { command: ['sleep', '60'] }, { number: i });
      await client.call('create', { spec });
      names.push(spec.name as string);
    }
    first.process.kill('SIGKILL');
    await first.exited;
    const journal = join(h.dir, 'state.journal');
    const text = readFileSync(journal, 'utf8');
    const lastStart = text.lastIndexOf('\n', text.length - 2) + 1;
    truncateSync(journal, lastStart + Math.floor((text.length - lastStart) / 2)); // half of the last line
    const again = await running(h);
    expect((await again.call('list')).map((r: { name: string }) => r.name).sort()).toEqual(names.slice(0, 3));
  });

  it('starts on a damaged state file: sets it aside, reaps the groups it names, and says so once', async () => {
    const h = harness();
    mkdirSync(h.dir, { recursive: true, mode: 0o700 });
    const leftover = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    const pid = leftover.pid!;
    h.extraPids.add(pid);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const procStart = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const damaged = { version: 1, replicas: [null, { spec: { name: 'x' }, state: 'running', pgid: pid, procStart }] };
    writeFileSync(join(h.dir, 'state.json'), JSON.stringify(damaged));

    const client = await running(h);
    const { recovered } = await client.call('ping');
    expect(recovered.stateProblem).toMatch(
      /^its saved state was damaged \(state\.json replicas\[0\] is not a replica record: null is not an object, and 1 more problems\); it was moved to .*state\.json\.corrupt-.*, and 0 replica records were recovered$/,
    );
    expect(recovered.reapedGroups).toBe(1);
    await waitFor(() => !isAlive(pid), 5_000, 'the leftover group to be killed');
    expect(readdirSync(h.dir).filter((f) => f.startsWith('state.json.corrupt-'))).toHaveLength(1);
    expect(await client.call('list')).toEqual([]);
    expect((await client.call('ping')).recovered).toEqual({ reaped: [] }); // told once
  });
});

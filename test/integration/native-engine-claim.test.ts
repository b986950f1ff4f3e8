// Exactly one engine serves a project, however many start at once: the claim
// (engine.lock, taken like cli.lock) decides, a stale pid file left by a dead
// engine cannot let two of them win, and only the winner touches the socket.
// Needs the build (npm test builds first) and Linux (/proc).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, watch, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { engineHarnesses, EngineClient, engineMain, isAlive, waitFor } from '../helpers/native-engine.js';

const supported = process.platform === 'linux' && existsSync(engineMain);
if (!supported) console.warn(`skipping engine claim tests: needs Linux and a build (${engineMain})`);

const harness = engineHarnesses('clm');

interface Started {
  child: ChildProcess;
  log: string;
  exit: Promise<number | null>;
}

function startEngine(home: string, project: string, log: string): Started {
  const fd = openSync(log, 'a');
  const child = spawn(process.execPath, [engineMain, '--home', home, '--project', project], {
    detached: true,
    stdio: ['ignore', 'ignore', fd],
    // Long enough that the winner is still serving when the loser gives up.
    env: { ...process.env, TUG_ENGINE_IDLE_MS: '60000' },
  });
  closeSync(fd);
  return { child, log, exit: new Promise((resolve) => child.once('exit', (code) => resolve(code))) };
}

/** "<pid> <start time>" of a process that has exited: what a crashed engine leaves behind. */
function stalePidFile(dir: string): void {
  const gone = spawnSync('true').pid;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'engine.pid'), `${gone} 12345\n`, { mode: 0o600 });
}

describe.skipIf(!supported)('the engine claim', () => {
  it('two engines started at the same moment beside a stale pid file: one serves, the other exits 1 saying one is already running', async () => {
    for (let round = 0; round < 4; round++) {
      const h = harness();
      stalePidFile(h.dir);
      const engines = [0, 1].map((i) => startEngine(h.home, h.project, join(h.home, `engine-${round}-${i}.log`)));
      try {
        const bothServe = new Promise<{ i: number; code: null }>((resolve) => setTimeout(() => resolve({ i: -1, code: null }), 10_000).unref());
        const first = await Promise.race([...engines.map((e, i) => e.exit.then((code) => ({ i, code }))), bothServe]);
        expect(first.i, 'neither engine gave up: both serve the project').not.toBe(-1);
        const loser = engines[first.i]!;
        const winner = engines[1 - first.i]!;
        expect(first.code, readFileSync(loser.log, 'utf8')).toBe(1);
        expect(readFileSync(loser.log, 'utf8')).toMatch(/already running/);
        expect(isAlive(winner.child.pid!)).toBe(true);
        // The winner's socket answers, it is the one the pid file names, and it keeps answering.
        const client = await waitFor(() => EngineClient.connect(join(h.dir, 'engine.sock')).catch(() => undefined), 5_000, 'the socket');
        try {
          expect((await client.call('ping')).pid).toBe(winner.child.pid);
          expect(Number(readFileSync(join(h.dir, 'engine.pid'), 'utf8').split(' ')[0])).toBe(winner.child.pid);
          await new Promise((resolve) => setTimeout(resolve, 200));
          expect((await client.call('ping')).pid).toBe(winner.child.pid);
        } finally {
          client.close();
        }
      } finally {
        for (const e of engines) if (e.child.exitCode === null && e.child.signalCode === null) e.child.kill('SIGKILL');
        await Promise.all(engines.map((e) => e.exit));
      }
    }
  }, 60_000);

  // A client wakes when engine.sock appears and connects at once; a socket
  // file that existed before the engine listened sent it to a fallback timer.
  it('the socket file appears only once the engine accepts connections on it', async () => {
    for (let round = 0; round < 8; round++) {
      const h = harness();
      mkdirSync(h.dir, { recursive: true, mode: 0o700 });
      const firstConnect = new Promise<string>((resolve) => {
        const watcher = watch(h.dir, (_event, name) => {
          if (String(name) !== 'engine.sock' || !existsSync(join(h.dir, 'engine.sock'))) return;
          watcher.close();
          const socket = connect(join(h.dir, 'engine.sock'));
          socket.once('connect', () => {
            socket.destroy();
            resolve('connected');
          });
          socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
        });
      });
      const engine = startEngine(h.home, h.project, join(h.home, `engine-${round}.log`));
      try {
        expect(await firstConnect).toBe('connected');
      } finally {
        engine.child.kill('SIGKILL');
        await engine.exit;
      }
    }
  }, 60_000);
});

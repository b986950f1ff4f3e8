// The engine's last-resort handlers (engine/diagnostics.ts) in a real Node
// process: an uncaught error is logged with context and ends the process
// (status 70), even when its log is on a full disk (/dev/full), without
// spinning; a failed write to a stream it can do without is survived.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const diagnostics = join(repoRoot, 'dist/runtime/native/engine/diagnostics.js');
const supported = existsSync('/dev/full');
if (!supported) console.warn('skipping engine crash tests: needs /dev/full (Linux)');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Runs `body` after installing the handlers, with stderr going to `stderrPath`. */
function runWithHandlers(body: string, stderrPath: string): { status: number | null; ms: number; signal: NodeJS.Signals | null } {
  const script = `
    const { installCrashHandlers, log } = await import(${JSON.stringify(diagnostics)});
    installCrashHandlers(() => 'of project demo, 2 replicas');
    ${body}
  `;
  const fd = openSync(stderrPath, 'a');
  const started = Date.now();
  try {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', fd], timeout: 10_000 });
    return { status: r.status, signal: r.signal, ms: Date.now() - started };
  } finally {
    closeSync(fd);
  }
}

function tempLog(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tug-crash-'));
  dirs.push(dir);
  return join(dir, 'engine.log');
}

describe.skipIf(!supported)('engine crash handling', () => {
  it('logs an uncaught error with context and exits with status 70', () => {
    const file = tempLog();
    const r = runWithHandlers(`setTimeout(() => { throw new Error('boom'); }, 10); setTimeout(() => {}, 5000);`, file);
    expect(r.status).toBe(70);
    const text = readFileSync(file, 'utf8');
    expect(text).toMatch(/engine crashed \(uncaught exception\) of project demo, 2 replicas: Error: boom\n\s+at /);
    expect(text).toContain('the next tug command for this project starts a new engine');
  });

  it('treats an unhandled rejection the same way', () => {
    const file = tempLog();
    const r = runWithHandlers(`Promise.reject(new Error('lost')); setTimeout(() => {}, 5000);`, file);
    expect(r.status).toBe(70);
    expect(readFileSync(file, 'utf8')).toContain('engine crashed (unhandled rejection) of project demo, 2 replicas: Error: lost');
  });

  it('exits promptly instead of spinning when its log is on a full disk', () => {
    const r = runWithHandlers(
      `for (let i = 0; i < 10000; i++) log('line ' + i);
       process.stderr.write('through Node too\\n');
       setTimeout(() => { throw new Error('boom'); }, 10); setTimeout(() => {}, 5000);`,
      '/dev/full',
    );
    expect(r.signal).toBeNull();
    expect(r.status).toBe(70);
    expect(r.ms).toBeLessThan(5_000);
  });

  it('survives a failed write to a pipe nobody reads, and says so', async () => {
    const file = tempLog();
    const fd = openSync(file, 'a');
    const script = `
      const { installCrashHandlers, log } = await import(${JSON.stringify(diagnostics)});
      installCrashHandlers(() => 'of project demo');
      const write = () => process.stdout.write('x'.repeat(65536));
      setTimeout(write, 100); setTimeout(write, 150);
      setTimeout(() => { log('still serving'); process.exit(0); }, 400);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', fd] });
    closeSync(fd);
    child.stdout!.destroy(); // nobody reads its stdout any more: writes fail with EPIPE
    const status = await new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const text = readFileSync(file, 'utf8');
    expect(status, text).toBe(0);
    expect(text).toContain('ignored a failed write (the reader went away); the engine keeps running');
    expect(text).toContain('still serving');
  });
});

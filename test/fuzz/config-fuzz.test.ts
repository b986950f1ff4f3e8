// Fuzzing `tug config`: seeded mutations of the corpus files (awesome-compose
// and compose-go's fixtures) must each end in exit 0 or 1, in bounded time,
// with no "internal error" and no stack trace. Most cases run in-process
// through run(argv), the CLI's own entry; a sample runs the built binary.
// A failure prints the seed, the mutations and the exact input.
// Replay: TUG_FUZZ_SEED=<seed> [TUG_FUZZ_CASES=<n>] npx vitest run test/fuzz
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/cli/program.js';
import { tugBin } from '../helpers/cli.js';
import { caseSeed, mutate } from './mutations.js';

const SEED = Number(process.env.TUG_FUZZ_SEED ?? 20_260_801);
const CASES = Number(process.env.TUG_FUZZ_CASES ?? 300);
const BINARY_SAMPLE = 8;
/** Per case (both formats); a normal one takes a few milliseconds. */
const CASE_BUDGET_MS = 5_000;

const corpus = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'tug-fuzz-'));
try {
  for (const part of ['awesome-compose', 'compose-go-testdata']) cpSync(join(corpus, part), join(work, part), { recursive: true });
} catch (err) {
  // The file fails before any hook runs (no corpus beside the checkout): it must not leave its copy in /tmp.
  rmSync(work, { recursive: true, force: true });
  throw err;
}
const home = join(work, 'home');
afterAll(() => rmSync(work, { recursive: true, force: true }));

function composeFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return composeFiles(path);
    return /\.ya?ml$/.test(name) ? [path] : [];
  });
}
const files = composeFiles(work).sort();

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function inProcess(args: string[], cwd: string): Promise<Outcome> {
  let stdout = '';
  let stderr = '';
  const code = await run(args, {
    cwd,
    env: { HOME: home, PATH: process.env.PATH ?? '', NO_COLOR: '1', TUG_HOME: home },
    out: (t) => void (stdout += t),
    err: (t) => void (stderr += t),
  });
  return { code, stdout, stderr };
}

function binary(args: string[], cwd: string): Outcome {
  const r = spawnSync(tugBin, args, { cwd, encoding: 'utf8', timeout: 60_000, env: { HOME: home, PATH: process.env.PATH ?? '', NO_COLOR: '1', TUG_HOME: home } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

interface Case {
  index: number;
  seed: number;
  source: string;
  mutations: string[];
  path: string;
  bytes: Buffer;
}

function makeCase(index: number): Case {
  const seed = caseSeed(SEED, index);
  const source = files[seed % files.length]!;
  const { bytes, mutations } = mutate(seed, readFileSync(source, 'utf8'), 1 + (seed % 3));
  // Beside the original, so its relative paths (env files, extends, include) still resolve.
  const path = join(dirname(source), `.fuzz-${index}-${basename(source)}`);
  return { index, seed, source, mutations, path, bytes };
}

/** What a user would need to reproduce the failure: seed, mutations and the exact bytes. */
function describeCase(c: Case, args: string[], outcome: Outcome, ms: number): string {
  const text = c.bytes.toString('utf8');
  const exact = Buffer.from(text).equals(c.bytes) ? JSON.stringify(text) : `base64:${c.bytes.toString('base64')}`;
  return [
    `fuzz case ${c.index} (TUG_FUZZ_SEED=${SEED}, case seed ${c.seed}) failed after ${ms.toFixed(0)} ms`,
    `from ${relative(work, c.source)} with: ${c.mutations.join('; ')}`,
    `command: tug ${args.join(' ')} -> exit ${outcome.code}`,
    `stderr: ${outcome.stderr.slice(0, 2000)}`,
    `input (exact): ${exact}`,
  ].join('\n');
}

function check(c: Case, args: string[], outcome: Outcome, ms: number): void {
  const problems: string[] = [];
  if (outcome.code !== 0 && outcome.code !== 1) problems.push(`exit ${outcome.code}`);
  if (/internal error/.test(outcome.stderr)) problems.push('internal error');
  if (/\n\s+at .+:\d+:\d+/.test(outcome.stderr)) problems.push('stack trace');
  if (ms > CASE_BUDGET_MS) problems.push(`took ${ms.toFixed(0)} ms`);
  if (outcome.code === 0 && args.includes('json')) {
    try {
      JSON.parse(outcome.stdout);
    } catch {
      problems.push('exit 0 but the JSON does not parse');
    }
  }
  if (problems.length > 0) expect.fail(`${problems.join(', ')}\n${describeCase(c, args, outcome, ms)}`);
}

describe('fuzzing tug config with mutated corpus files', () => {
  it(`has a corpus to mutate (${files.length} files)`, () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it(`${CASES} seeded cases end in exit 0 or 1, with no internal error or stack trace, each within ${CASE_BUDGET_MS} ms`, async () => {
    const codes = { 0: 0, 1: 0 } as Record<number, number>;
    for (let index = 0; index < CASES; index++) {
      const c = makeCase(index);
      writeFileSync(c.path, c.bytes);
      try {
        for (const format of ['yaml', 'json']) {
          const args = ['-p', 'fuzz', '-f', c.path, 'config', '--format', format];
          const start = performance.now();
          const outcome = await inProcess(args, dirname(c.path));
          check(c, args, outcome, performance.now() - start);
          codes[outcome.code] = (codes[outcome.code] ?? 0) + 1;
        }
      } finally {
        unlinkSync(c.path);
      }
    }
    // Mutations that keep a file valid and ones that break it both happen.
    expect(codes[0]).toBeGreaterThan(0);
    expect(codes[1]).toBeGreaterThan(0);
  }, 120_000);

  it(`a sample of ${BINARY_SAMPLE} cases behaves the same through the built binary`, () => {
    for (let i = 0; i < BINARY_SAMPLE; i++) {
      const c = makeCase(Math.floor((i * CASES) / BINARY_SAMPLE));
      writeFileSync(c.path, c.bytes);
      try {
        const args = ['-p', 'fuzz', '-f', c.path, 'config', '--format', 'json'];
        const start = performance.now();
        check(c, args, binary(args, dirname(c.path)), performance.now() - start);
      } finally {
        unlinkSync(c.path);
      }
    }
  }, 120_000);
});

// The sweep of recorded nftables tables against the real kernel: a table of
// tug's (what a crashed engine left) goes, and a record naming any other
// table (a corrupt or planted ledger) never deletes it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { findExecutable } from '../../src/runtime/native/container/executables.js';
import { Ledger } from '../../src/runtime/native/container/ledger.js';
import { sweep, type SweepContext } from '../../src/runtime/native/container/sweep.js';
import { describeIsolation } from '../helpers/isolation.js';

const made: string[] = [];
const dirs: string[] = [];
afterEach(() => {
  for (const t of made.splice(0)) spawnSync('nft', ['delete', 'table', 'ip', t]);
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** No cgroups to remove here; nft is all this sweep needs. */
const context = (home: string): SweepContext => ({ home, cgroups: { layout: 'v1', v1: {} }, nft: findExecutable('nft') });
const exists = (table: string) => spawnSync('nft', ['list', 'table', 'ip', table]).status === 0;

function createTable(name: string): void {
  made.push(name);
  const r = spawnSync('nft', ['-f', '-'], { input: `table ip ${name} {\n  chain output {\n    type nat hook output priority -100; policy accept;\n  }\n}\n`, encoding: 'utf8' });
  expect(r.stderr).toBe('');
}

describeIsolation('sweeping recorded nftables tables', () => {
  it('removes a table of tug\'s that a crashed engine left, and never one whose name is not tug\'s', async () => {
    const suffix = randomBytes(6).toString('hex');
    const ours = `tug_${suffix}`;
    const foreign = `other_${suffix}`;
    createTable(ours);
    createTable(foreign);
    const home = mkdtempSync(join(tmpdir(), 'tug-dnat-sweep-'));
    dirs.push(home);
    const ledger = new Ledger(join(home, 'isolation.jsonl'));
    ledger.add([
      { owner: 'p', kind: 'nft-table', family: 'ip', name: ours },
      { owner: 'p', kind: 'nft-table', family: 'ip', name: foreign },
    ]);
    const problems = await sweep(ledger, context(home));
    expect(problems).toEqual([]);
    expect(exists(ours)).toBe(false);
    expect(exists(foreign)).toBe(true);
    expect(ledger.entries()).toEqual([]);
    // A second sweep of a table already gone is no problem either.
    ledger.add([{ owner: 'p', kind: 'nft-table', family: 'ip', name: ours }]);
    expect(await sweep(ledger, context(home))).toEqual([]);
  });
});

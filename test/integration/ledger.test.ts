// The crash records: what was added and not forgotten survives a restart,
// including after a crash mid-append.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Ledger, type LedgerEntry } from '../../src/runtime/native/container/ledger.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const d = mkdtempSync(join(tmpdir(), 'tug-ledger-'));
  dirs.push(d);
  return join(d, 'projects', 'p', 'isolation.jsonl');
}

const a: LedgerEntry = { owner: 'p-web-1', kind: 'netns', name: 'tug-1' };
const b: LedgerEntry = { owner: 'p-web-1', kind: 'link', name: 'tugv1' };
const c: LedgerEntry = { owner: 'p_default', kind: 'link', name: 'tugb1' };

describe('the ledger', () => {
  it('keeps what was added and not forgotten, by owner, across instances', () => {
    const f = file();
    const ledger = new Ledger(f);
    ledger.add([a, b, c, a]);
    ledger.forget([b]);
    expect(new Ledger(f).entries()).toEqual([a, c]);
    expect(new Ledger(f).entries(['p-web-1'])).toEqual([a]);
    expect(Ledger.read(f)).toEqual([a, c]);
  });

  it('makes its directory again when it was removed meanwhile (a project directory cleaned up under it)', () => {
    const f = file();
    const ledger = new Ledger(f);
    ledger.add([a]);
    rmSync(dirname(f), { recursive: true, force: true });
    ledger.add([c]);
    expect(Ledger.read(f)).toEqual([c]);
  });

  it('survives a torn last line: the records after it are kept', () => {
    const f = file();
    new Ledger(f).add([a]);
    appendFileSync(f, '{"op":"add","entry":{"owner":"p-web-2","kind":"ne');
    const next = new Ledger(f);
    next.add([c]);
    expect(Ledger.read(f)).toEqual([a, c]);
    expect(readFileSync(f, 'utf8').split('\n').filter(Boolean)).toHaveLength(3);
  });

  it('compacts a log that is mostly forgotten', () => {
    const f = file();
    const ledger = new Ledger(f);
    const many = Array.from({ length: 300 }, (_, i): LedgerEntry => ({ owner: `r${i}`, kind: 'dir', path: `/h/${i}` }));
    ledger.add([...many, c]);
    ledger.forget(many);
    expect(readFileSync(f, 'utf8').trim().split('\n')).toHaveLength(1);
    expect(Ledger.read(f)).toEqual([c]);
  });

  it('skips lines that are not well-formed records instead of failing on them', () => {
    const f = file();
    mkdirSync(dirname(f), { recursive: true });
    const lines = [
      'null',
      '{"op":"add","entry":null}',
      '{"op":"add","entry":{"owner":"p-web-1","kind":"dir","path":7}}',
      '{"op":"add","entry":{"owner":"p-web-1","kind":"bomb","path":"/"}}',
      '{"op":"wipe","entry":{"owner":"p-web-1","kind":"dir","path":"/"}}',
      '{"op":"add","entry":{"owner":"p","kind":"nft-table","family":"inet","name":"filter"}}',
      JSON.stringify({ op: 'add', entry: a }),
      JSON.stringify({ op: 'add', entry: { owner: 'p', kind: 'nft-table', family: 'ip', name: 'tug_0123' } }),
    ];
    writeFileSync(f, lines.join('\n') + '\n');
    expect(new Ledger(f).entries()).toEqual([a, { owner: 'p', kind: 'nft-table', family: 'ip', name: 'tug_0123' }]);
  });

  it('refuses to write through a link planted in its place', () => {
    const f = file();
    mkdirSync(dirname(f), { recursive: true });
    const victim = join(dirname(f), 'victim');
    writeFileSync(victim, '');
    symlinkSync(victim, f);
    expect(() => new Ledger(f)).toThrow(/is a symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('');
  });
});

// tug's own record of every kernel object the container runtime creates for a
// project: containers, cgroups, network namespaces, links, firewall rules,
// bundle directories. An entry is written BEFORE the object is created, so a
// crash at any point leaves a record of everything that may exist; the next
// engine (or `down`) removes exactly the recorded objects (sweep.ts) and never
// searches by name patterns that could match someone else's.
//
// The file is projects/<p>/isolation.json, rewritten atomically (temp + rename).
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export type LedgerObject =
  | { kind: 'container'; id: string; runtime: string; root: string }
  | { kind: 'cgroup'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'iptables'; table: string; rule: string[] }
  | { kind: 'dir'; path: string };

/** One recorded object and who it belongs to (a replica or network name), for removal by owner. */
export type LedgerEntry = LedgerObject & { owner: string };

interface LedgerFile {
  version: 1;
  entries: LedgerEntry[];
}

function same(a: LedgerEntry, b: LedgerEntry): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class Ledger {
  private list: LedgerEntry[];

  constructor(readonly file: string) {
    this.list = Ledger.read(file);
  }

  static read(file: string): LedgerEntry[] {
    try {
      const parsed = JSON.parse(readFileSync(file, 'utf8')) as LedgerFile;
      return Array.isArray(parsed.entries) ? parsed.entries : [];
    } catch {
      return [];
    }
  }

  entries(owner?: string): LedgerEntry[] {
    return owner === undefined ? [...this.list] : this.list.filter((e) => e.owner === owner);
  }

  /** Records objects about to be created (duplicates are kept once). */
  add(entries: readonly LedgerEntry[]): void {
    let changed = false;
    for (const entry of entries) {
      if (this.list.some((e) => same(e, entry))) continue;
      this.list.push(entry);
      changed = true;
    }
    if (changed) this.save();
  }

  /** Forgets objects that are gone. */
  forget(entries: readonly LedgerEntry[]): void {
    const before = this.list.length;
    this.list = this.list.filter((e) => !entries.some((g) => same(e, g)));
    if (this.list.length !== before) this.save();
  }

  private save(): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, entries: this.list } satisfies LedgerFile), { mode: 0o600 });
    renameSync(tmp, this.file);
  }
}

// tug's own record of every kernel object the container runtime creates for a
// project: containers, cgroups, network namespaces, links, firewall rules,
// nftables tables, bundle directories. An entry is written BEFORE the object
// is created, so a crash at any point leaves a record of everything that may
// exist; the next engine (or `down`) removes exactly the recorded objects
// (sweep.ts) and never searches by name patterns that could match someone
// else's.
//
// The file (projects/<p>/isolation.jsonl) is an append-only log of "add" and
// "forget" lines, so recording 100 replicas costs 100 small appends rather
// than 100 rewrites of a growing file; it is compacted when mostly forgotten.
// A torn last line (a crash mid-append) is ignored, and so is any line that
// is not a well-formed record: what the next engine removes comes from this
// file, so nothing is taken from it on trust. It is never written through a
// link planted in its place.
import { closeSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openAppend, readText, writeAll, writeAtomic } from '../safe-fs.js';

export type LedgerObject =
  | { kind: 'container'; id: string; runtime: string; root: string }
  | { kind: 'cgroup'; path: string }
  | { kind: 'netns'; name: string }
  | { kind: 'link'; name: string }
  | { kind: 'iptables'; table: string; rule: string[] }
  | { kind: 'nft-table'; family: 'ip'; name: string }
  | { kind: 'dir'; path: string };

/** One recorded object and who it belongs to (a replica or network name), for removal by owner. */
export type LedgerEntry = LedgerObject & { owner: string };

type LogLine = { op: 'add' | 'forget'; entry: LedgerEntry };

const keyOf = (e: LedgerEntry) => JSON.stringify(e);

export class Ledger {
  private readonly live = new Map<string, LedgerEntry>();
  private forgotten = 0;

  private torn: boolean;
  private dirMade = false;

  constructor(readonly file: string) {
    const text = readOrEmpty(file);
    for (const entry of Ledger.parse(text)) this.live.set(keyOf(entry), entry);
    // A crash mid-append left a partial line: the next append must not glue onto it.
    this.torn = text !== '' && !text.endsWith('\n');
  }

  /** The live entries recorded in `file`, in the order they were added. */
  static read(file: string): LedgerEntry[] {
    return Ledger.parse(readOrEmpty(file));
  }

  private static parse(text: string): LedgerEntry[] {
    const live = new Map<string, LedgerEntry>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        continue;
      }
      if (!isLogLine(parsed)) continue;
      const key = keyOf(parsed.entry);
      if (parsed.op === 'add') live.set(key, parsed.entry);
      else live.delete(key);
    }
    return [...live.values()];
  }

  /** Every entry, or those of one owner or several. */
  entries(owner?: string | readonly string[]): LedgerEntry[] {
    const all = [...this.live.values()];
    if (owner === undefined) return all;
    const owners = new Set(typeof owner === 'string' ? [owner] : owner);
    return all.filter((e) => owners.has(e.owner));
  }

  /** Records objects about to be created (duplicates are kept once). */
  add(entries: readonly LedgerEntry[]): void {
    const lines: string[] = [];
    for (const entry of entries) {
      const key = keyOf(entry);
      if (this.live.has(key)) continue;
      this.live.set(key, entry);
      lines.push(JSON.stringify({ op: 'add', entry } satisfies LogLine));
    }
    this.append(lines);
  }

  /** Forgets objects that are gone. */
  forget(entries: readonly LedgerEntry[]): void {
    const lines: string[] = [];
    for (const entry of entries) {
      if (!this.live.delete(keyOf(entry))) continue;
      lines.push(JSON.stringify({ op: 'forget', entry } satisfies LogLine));
      this.forgotten++;
    }
    if (this.forgotten > 256 && this.forgotten > this.live.size) this.compact();
    else this.append(lines);
  }

  private append(lines: string[]): void {
    if (lines.length === 0) return;
    const fd = this.openLog();
    try {
      writeAll(fd, (this.torn ? '\n' : '') + lines.join('\n') + '\n');
    } finally {
      closeSync(fd);
    }
    this.torn = false;
  }

  /** The log, opened for appending; its directory made on first use (records come a few per replica) or when it went meanwhile. */
  private openLog(): number {
    if (!this.dirMade) mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    this.dirMade = true;
    try {
      return openAppend(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      return openAppend(this.file);
    }
  }

  private compact(): void {
    const text = [...this.live.values()].map((entry) => JSON.stringify({ op: 'add', entry } satisfies LogLine) + '\n').join('');
    writeAtomic(this.file, text);
    this.forgotten = 0;
    this.torn = false;
  }
}

const str = (v: unknown): boolean => typeof v === 'string';

/** Whether a parsed line is an add/forget of an entry of a known kind with the fields that kind needs. */
function isLogLine(v: unknown): v is LogLine {
  if (typeof v !== 'object' || v === null) return false;
  const { op, entry } = v as { op?: unknown; entry?: unknown };
  if ((op !== 'add' && op !== 'forget') || typeof entry !== 'object' || entry === null) return false;
  const e = entry as Record<string, unknown>;
  if (!str(e.owner)) return false;
  switch (e.kind) {
    case 'container':
      return str(e.id) && str(e.runtime) && str(e.root);
    case 'cgroup':
    case 'dir':
      return str(e.path);
    case 'netns':
    case 'link':
      return str(e.name);
    case 'iptables':
      return str(e.table) && Array.isArray(e.rule) && e.rule.every(str);
    case 'nft-table':
      return e.family === 'ip' && str(e.name);
    default:
      return false;
  }
}

function readOrEmpty(file: string): string {
  return readText(file) ?? '';
}

// A container-mode project driven through the built CLI, as a user would: a
// private TUG_HOME and project name, `tug` with --isolation container, ps rows,
// and a check of what the project left on the machine, judged from the
// kernel's own lists (interfaces, namespaces, mounts, cgroups, firewall
// rules, nftables tables, processes).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { Ledger, type LedgerEntry } from '../../src/runtime/native/container/ledger.js';
import { dnatTableName, projectCgroup } from '../../src/runtime/native/container/names.js';
import { runtimeRoot } from '../../src/runtime/native/container/container-bundle.js';
import { ledgerPath } from '../../src/runtime/native/engine/container-host.js';
import { tempProject, tug, type CliResult } from './cli.js';
import { destroyHome, tempHome, uniqueProject } from './native-env.js';

export interface PsJson {
  Name: string;
  Service: string;
  State: string;
  Status: string;
  ExitCode: number;
  Pid: number;
  Health: string;
  Notes: string;
  Replica: number;
  Publishers: { URL: string; TargetPort: number; PublishedPort: number; Protocol: string }[];
  Networks?: string;
  Addresses?: Record<string, string>;
}

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) destroyHome(h);
});

export function containerProject(compose: string, files: Record<string, string> = {}, env: Record<string, string> = {}) {
  const home = tempHome();
  homes.push(home);
  const dir = tempProject({ 'compose.yaml': compose, ...files }, 'tug-ctr-');
  const project = uniqueProject('k');
  const run = (args: string[]): CliResult => tug(['-p', project, '--isolation', 'container', ...args], { cwd: dir, env: { ...env, TUG_HOME: home } });
  const ok = (args: string[]): string => {
    const r = run(args);
    if (r.code !== 0) throw new Error(`tug ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  const rows = (): PsJson[] => ok(['ps', '-a', '--format', 'json']).split('\n').filter(Boolean).map((l) => JSON.parse(l) as PsJson);
  /** What the runtime recorded it made (interfaces, namespaces, cgroups...), to look for after `down`. */
  const recorded = (): LedgerEntry[] => Ledger.read(ledgerPath(home, project));
  return { home, dir, project, run, ok, rows, recorded };
}

function processesOf(project: string): string[] {
  return execFileSync('ps', ['-eo', 'pid,args'], { encoding: 'utf8' }).split('\n').filter((line) => line.includes(project)).map((line) => `process ${line.trim()}`);
}

/** What of `entries` (recorded earlier) and of the project is still on the machine; its engine gets a moment to finish exiting. */
export async function leftovers(home: string, project: string, entries: readonly LedgerEntry[]): Promise<string[]> {
  for (let i = 0; i < 50 && processesOf(project).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
  const left: string[] = [];
  const links = readdirSync('/sys/class/net');
  for (const e of entries) {
    if (e.kind === 'link' && links.includes(e.name)) left.push(`interface ${e.name}`);
    if (e.kind === 'netns' && existsSync(`/var/run/netns/${e.name}`)) left.push(`netns ${e.name}`);
    if (e.kind === 'dir' && existsSync(e.path)) left.push(`dir ${e.path}`);
  }
  for (const root of readdirSync('/sys/fs/cgroup')) {
    const dir = join('/sys/fs/cgroup', root, projectCgroup(home, project));
    if (existsSync(dir)) left.push(`cgroup ${dir}`);
  }
  if (readFileSync('/proc/self/mountinfo', 'utf8').includes(home)) left.push('a mount under TUG_HOME');
  if (existsSync(runtimeRoot(home, project))) left.push('runtime state');
  if (existsSync(ledgerPath(home, project))) left.push('records');
  // iptables-save prints a rule's options in its own order: a tug rule is found by the bridge its comment names.
  const saved = execFileSync('iptables-save', { encoding: 'utf8' });
  for (const e of entries) if (e.kind === 'link' && saved.includes(`"tug ${e.name}"`)) left.push(`iptables rules of ${e.name}`);
  const tables = execFileSync('nft', ['list', 'tables'], { encoding: 'utf8' });
  if (tables.includes(dnatTableName(home, project))) left.push(`nftables table ${dnatTableName(home, project)}`);
  left.push(...processesOf(project));
  return left;
}

/** One HTTP GET as curl would do it: the body. */
export async function httpGet(port: number, path = '/'): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5_000) });
  return (await res.text()).trim();
}

// Keeps a project's nftables table of forwarded ports (port-dnat.ts) in step
// with its published ports' members: recorded in the ledger before it is
// first written, replaced whole in one `nft -f` transaction on every change,
// deleted (and forgotten) when no port has a member left. The sweep removes a
// table a crashed engine left (sweep.ts).
//
// Synchronous on purpose: a membership change (a replica turning healthy or
// unhealthy, starting, stopping) is in the kernel before the engine does
// anything else, so by the time `ps`, `--wait` or an event can show it, new
// connections already follow it. That holds the event loop for one nft run
// per change (10-40 ms here; `up` of 50 replicas behind one port took 0.8 s
// longer at a load average of 9). Gathering additions would save most of it,
// but every event observes the replica, so the write cannot wait unseen.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { Ledger, LedgerEntry } from '../ledger.js';
import { INTERFACE_NAME, planDnat, type ForwardedPort } from './port-dnat.js';

export interface DnatTableOptions {
  nft: string;
  table: string;
  ledger: Ledger;
  /** Ledger owner: the project. */
  owner: string;
  /** The bridge a replica address is on. */
  bridgeOf(address: string): string | undefined;
  note(message: string): void;
}

export class DnatTable {
  /** The script last applied; undefined while there is no table. */
  private applied: string | undefined;

  constructor(private readonly opts: DnatTableOptions) {}

  get entry(): LedgerEntry {
    return { owner: this.opts.owner, kind: 'nft-table', family: 'ip', name: this.opts.table };
  }

  /** Makes the kernel forward exactly `ports`; a failure is noted, and the relay serves the ports. */
  apply(ports: readonly ForwardedPort[]): void {
    const plan = planDnat(this.opts.table, ports, (a) => this.opts.bridgeOf(a));
    if (plan.script === this.applied) return;
    if (plan.script === undefined) {
      this.remove();
      return;
    }
    // Every time: a bridge of the same name made again starts with route_localnet 0.
    const refused = plan.bridges.map((b) => this.allowLoopback(b)).find((why) => why !== undefined);
    this.opts.ledger.add([this.entry]);
    const r = refused ?? this.nft(['-f', '-'], plan.script);
    if (r === undefined) {
      this.applied = plan.script;
      return;
    }
    this.opts.note(`published ports: cannot forward them in the kernel (${r}); the engine relays them`);
    this.remove();
  }

  /** Deletes the table (the relay serves every port again). */
  remove(): void {
    const recorded = this.opts.ledger.entries(this.opts.owner).some((e) => e.kind === 'nft-table' && e.name === this.opts.table);
    if (this.applied === undefined && !recorded) return;
    const r = this.nft(['delete', 'table', 'ip', this.opts.table]);
    if (r !== undefined && !/no such file|not found/i.test(r)) {
      this.opts.note(`published ports: cannot remove nftables table ${this.opts.table}: ${r}`);
      return;
    }
    this.applied = undefined;
    this.opts.ledger.forget([this.entry]);
  }

  /**
   * Loopback sources may leave on the bridge (and their replies come back);
   * the bridge's guard drops the rest. It is per interface: it goes with the
   * bridge. Undefined when set, else why not.
   */
  private allowLoopback(bridge: string): string | undefined {
    if (!INTERFACE_NAME.test(bridge)) return `invalid bridge name ${JSON.stringify(bridge)}`;
    try {
      writeFileSync(`/proc/sys/net/ipv4/conf/${bridge}/route_localnet`, '1');
      return undefined;
    } catch (err) {
      return `cannot set route_localnet on ${bridge}: ${(err as Error).message}`;
    }
  }

  /** Runs nft; undefined on success, else its complaint. */
  private nft(args: string[], input?: string): string | undefined {
    const r = spawnSync(this.opts.nft, args, { input: input ?? '', encoding: 'utf8', timeout: 10_000, stdio: ['pipe', 'pipe', 'pipe'] });
    if (r.status === 0) return undefined;
    const lines = `${r.stderr ?? ''}\n${r.error?.message ?? ''}`.split('\n').map((l) => l.trim()).filter(Boolean);
    return lines[0] ?? `exit status ${r.status}`;
  }
}

// Whether an engine forwards its container replicas' published TCP ports in
// the kernel (container/network/dnat-table.ts) or leaves them all to its
// user-space relay: the kernel when the engine runs as root with nft, unless
// TUG_PORT_FORWARD=proxy asks for the relay (an escape hatch, and the peer
// the proxy benchmark measures). Read once, when the engine starts.
import type { Ledger } from '../container/ledger.js';
import { dnatTableName } from '../container/names.js';
import { DnatTable } from '../container/network/dnat-table.js';

export type PortForwardMode = 'kernel' | 'proxy';

export function portForwardMode(env: Readonly<Record<string, string | undefined>>, note: (m: string) => void): PortForwardMode {
  const value = env.TUG_PORT_FORWARD;
  if (value === undefined || value === '' || value === 'auto' || value === 'kernel') return 'kernel';
  if (value === 'proxy') return 'proxy';
  note(`TUG_PORT_FORWARD=${value} is not one of auto, kernel, proxy; using auto`);
  return 'kernel';
}

export interface KernelForwardingOptions {
  nft: string | undefined;
  home: string;
  project: string;
  ledger: Ledger;
  note(message: string): void;
  bridgeOf(address: string): string | undefined;
  env?: Readonly<Record<string, string | undefined>>;
}

/** The project's DNAT table, or undefined (with a note saying why) when the relay serves everything. */
export function kernelForwarding(opts: KernelForwardingOptions): DnatTable | undefined {
  if (portForwardMode(opts.env ?? process.env, opts.note) === 'proxy') {
    opts.note('published ports: relayed by the engine (TUG_PORT_FORWARD=proxy)');
    return undefined;
  }
  if (process.getuid?.() !== 0 || !opts.nft) {
    opts.note(`published ports: relayed by the engine (kernel forwarding needs ${!opts.nft ? 'nft (apt-get install nftables)' : 'root'})`);
    return undefined;
  }
  return new DnatTable({ nft: opts.nft, table: dnatTableName(opts.home, opts.project), ledger: opts.ledger, owner: opts.project, bridgeOf: opts.bridgeOf, note: opts.note });
}

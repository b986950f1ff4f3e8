// The generated /etc/hostname, /etc/hosts and /etc/resolv.conf of a
// container, as texts. Pure. Like Docker on user-defined networks, /etc/hosts
// holds only localhost, the replica's own addresses and `extra_hosts`: other
// replicas are found through the embedded DNS server, which resolv.conf names.

export interface HostsInput {
  hostname: string;
  domainname?: string;
  /** The replica's own addresses (one per network). */
  addresses: readonly string[];
  /** `extra_hosts`: name → addresses. */
  extraHosts?: Readonly<Record<string, readonly string[]>>;
}

export function hostnameFile(hostname: string): string {
  return `${hostname}\n`;
}

export function hostsFile(input: HostsInput): string {
  const lines = [
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
    'fe00::0\tip6-localnet',
    'ff00::0\tip6-mcastprefix',
    'ff02::1\tip6-allnodes',
    'ff02::2\tip6-allrouters',
  ];
  const names = input.domainname ? `${input.hostname}.${input.domainname} ${input.hostname}` : input.hostname;
  for (const address of input.addresses) lines.push(`${address}\t${names}`);
  for (const [host, addresses] of Object.entries(input.extraHosts ?? {})) {
    for (const address of addresses) lines.push(`${address}\t${host}`);
  }
  return lines.join('\n') + '\n';
}

export interface ResolvInput {
  nameservers: readonly string[];
  search?: readonly string[];
  options?: readonly string[];
}

export function resolvConf(input: ResolvInput): string {
  const lines = input.nameservers.map((ns) => `nameserver ${ns}`);
  if (input.search && input.search.length > 0) lines.push(`search ${input.search.join(' ')}`);
  if (input.options && input.options.length > 0) lines.push(`options ${input.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/** The host's resolv.conf as the upstream list: nameservers only, loopback ones dropped (unreachable from a container). */
export function upstreamNameservers(hostResolvConf: string): string[] {
  const out: string[] = [];
  for (const line of hostResolvConf.split('\n')) {
    const m = /^\s*nameserver\s+(\S+)/.exec(line);
    if (m && !m[1]!.startsWith('127.') && m[1] !== '::1') out.push(m[1]!);
  }
  return out;
}

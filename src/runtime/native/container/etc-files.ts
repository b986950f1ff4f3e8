// The generated /etc/hostname, /etc/hosts and /etc/resolv.conf of a
// container, as texts. Pure. Like Docker on user-defined networks, /etc/hosts
// holds only localhost, `extra_hosts` and the replica's own addresses (in
// that order): other replicas are found through the embedded DNS server,
// which resolv.conf names. On the host's network the host's own files are the
// base, with the service's dns settings and extra_hosts applied to them.

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
  lines.push(...extraHostLines(input.extraHosts));
  const names = input.domainname ? `${input.hostname}.${input.domainname} ${input.hostname}` : input.hostname;
  for (const address of input.addresses) lines.push(`${address}\t${names}`);
  return lines.join('\n') + '\n';
}

/** The host's /etc/hosts with `extra_hosts` appended (network_mode: host, as Docker does). */
export function hostHostsFile(hostText: string, extraHosts: Readonly<Record<string, readonly string[]>>): string {
  const extra = extraHostLines(extraHosts);
  if (extra.length === 0) return hostText;
  const base = hostText === '' || hostText.endsWith('\n') ? hostText : `${hostText}\n`;
  return `${base}${extra.join('\n')}\n`;
}

function extraHostLines(extraHosts: Readonly<Record<string, readonly string[]>> | undefined): string[] {
  return Object.entries(extraHosts ?? {}).flatMap(([host, addresses]) => addresses.map((address) => `${address}\t${host}`));
}

/**
 * `extra_hosts` with `host-gateway` replaced by the host's address as the
 * replica reaches it (its network's gateway). Docker uses the default
 * bridge's gateway, which tug does not have; undefined leaves the entry out.
 */
export function resolveHostGateway(extraHosts: Readonly<Record<string, readonly string[]>>, gateway: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [host, addresses] of Object.entries(extraHosts)) {
    const resolved = addresses.flatMap((a) => (a === 'host-gateway' ? (gateway === undefined ? [] : [gateway]) : [a]));
    if (resolved.length > 0) out[host] = resolved;
  }
  return out;
}

export interface ResolvInput {
  nameservers: readonly string[];
  search?: readonly string[];
  options?: readonly string[];
}

/** In Docker's order: search, nameservers, options. */
export function resolvConf(input: ResolvInput): string {
  const lines = input.search && input.search.length > 0 ? [`search ${input.search.join(' ')}`] : [];
  lines.push(...input.nameservers.map((ns) => `nameserver ${ns}`));
  if (input.options && input.options.length > 0) lines.push(`options ${input.options.join(' ')}`);
  return lines.join('\n') + '\n';
}

/**
 * The options of a resolv.conf naming the embedded server: Docker adds
 * `ndots:0` unless `dns_opt` sets ndots itself, so a dot-less name is asked
 * as written (the project's names) before any search domain.
 */
export function embeddedServerOptions(options: readonly string[]): string[] {
  return options.some((o) => o.startsWith('ndots:')) ? [...options] : [...options, 'ndots:0'];
}

/**
 * The host's resolv.conf with what the service sets replacing the host's own
 * lines of that kind (nameserver for `dns`, search for `dns_search`, options
 * for `dns_opt`), as Docker writes it for network_mode: host.
 */
export function hostResolvConf(hostText: string, input: Partial<ResolvInput>): string {
  const replaced = { nameserver: input.nameservers ?? [], search: input.search ?? [], options: input.options ?? [] };
  const kept = hostText.split('\n').filter((line) => {
    const key = /^\s*(nameserver|search|domain|options)\b/.exec(line)?.[1];
    if (key === undefined) return true;
    const kind = key === 'domain' ? 'search' : (key as keyof typeof replaced);
    return replaced[kind].length === 0;
  });
  while (kept.length > 0 && kept[kept.length - 1] === '') kept.pop();
  const added = resolvConf({ nameservers: replaced.nameserver, search: replaced.search, options: replaced.options }).trim();
  return [...kept, ...(added === '' ? [] : [added])].join('\n') + '\n';
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

// `ports:` in every form Compose accepts, turned into the long form that
// `docker compose config` prints. Short strings follow go-connections
// nat.ParsePortSpec: [ip:][host[-range]:]container[-range][/protocol].
import { TugError, type PathSegment } from '../../errors.js';
import type { PortSpec, Protocol } from '../../model/types.js';
import { parsePortRange, type PortRange } from '../../model/port-range.js';
import { describe, isRaw, report, scalarString, toInteger, type ErrorSink } from './coerce.js';

const PROTOCOLS: ReadonlySet<string> = new Set(['tcp', 'udp', 'sctp']);
const SHORT_EXPECTED = 'a port such as "80", "8080:80", "8080:80/udp", "127.0.0.1:8080:80" or "8000-8002:80-82"';

/** Why a short spec was rejected and what was expected; thrown inside this module, reported as a TugError with the entry's path. */
class PortSyntaxError {
  constructor(
    readonly why: string,
    readonly expected: string = SHORT_EXPECTED,
  ) {}
}

const PORT_EXPECTED = 'a port number from 1 to 65535';

/** A port or range (core/model/port-range.ts), with what is wrong with it in the words of `role`. */
function parseRange(text: string, role: string): PortRange {
  const range = parsePortRange(text);
  if (!('error' in range)) return range;
  switch (range.error) {
    case 'syntax':
      throw new PortSyntaxError(`${JSON.stringify(text)} is not a valid ${role} port or range`, `${PORT_EXPECTED}, or a range such as 8000-8005`);
    case 'zero': {
      const hint = role === 'host' ? '; leave the host port out for a random one' : '';
      throw new PortSyntaxError(`port 0 is not a valid ${role} port${hint}`, PORT_EXPECTED);
    }
    case 'reversed':
      throw new PortSyntaxError(`the ${role} port range ${text} ends before it starts`);
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const IPV6_CHARS = /^[0-9a-fA-F:.]+$/;

/** Enough of net.ParseIP to catch typos: dotted IPv4, or hex groups with colons for IPv6. */
function isIpAddress(ip: string): boolean {
  if (IPV4.test(ip)) return true;
  if (!ip.includes(':') || !IPV6_CHARS.test(ip)) return false;
  const doubleColon = ip.indexOf('::');
  if (doubleColon >= 0 && ip.indexOf('::', doubleColon + 1) >= 0) return false;
  const groups = ip.split(':');
  const lastGroup = groups[groups.length - 1]!;
  const embeddedV4 = lastGroup.includes('.');
  if (embeddedV4 && !IPV4.test(lastGroup)) return false;
  const groupCount = groups.filter((g) => g !== '').length + (embeddedV4 ? 1 : 0);
  if (doubleColon < 0 ? groupCount !== 8 : groupCount > 7) return false;
  return groups.every((g, i) => (embeddedV4 && i === groups.length - 1) || g.length <= 4);
}

/** One short-syntax string → one or more long-form ports (a range expands). */
function parseShortPort(spec: string): PortSpec[] {
  const parts = spec.split(':');
  const n = parts.length;
  let containerPart = parts[n - 1]!;
  const hostPart = n >= 2 ? parts[n - 2]! : '';
  let ip = n >= 3 ? parts.slice(0, n - 2).join(':') : '';

  let protocol = 'tcp';
  const slash = containerPart.indexOf('/');
  if (slash >= 0) {
    const proto = containerPart.slice(slash + 1).split('/')[0]!;
    containerPart = containerPart.slice(0, slash);
    if (proto !== '') protocol = proto.toLowerCase();
  }
  if (containerPart === '') throw new PortSyntaxError('no container port is given');
  if (!PROTOCOLS.has(protocol)) {
    throw new PortSyntaxError(`unknown protocol ${JSON.stringify(protocol)}`, 'a protocol of tcp, udp or sctp');
  }
  if (ip.startsWith('[')) {
    if (!ip.endsWith(']')) throw new PortSyntaxError(`the IPv6 address ${ip} is missing its closing "]"`);
    ip = ip.slice(1, -1);
  }
  if (ip !== '' && !isIpAddress(ip)) {
    throw new PortSyntaxError(`${JSON.stringify(ip)} is not an IP address`, 'an IPv4 address, or an IPv6 address in brackets');
  }

  const container = parseRange(containerPart, 'container');
  const host = hostPart === '' ? undefined : parseRange(hostPart, 'host');
  const containerSize = container.end - container.start;
  if (host && containerSize !== 0 && containerSize !== host.end - host.start) {
    throw new PortSyntaxError(
      `the container port range ${containerPart} and the host port range ${hostPart} have different sizes`,
      'a host range of the same size as the container range ("8000-8002:80-82"), or a single container port with a host range ("8000-8005:80")',
    );
  }

  const out: PortSpec[] = [];
  for (let i = 0; i <= containerSize; i++) {
    // Built in the key order compose prints.
    const port: PortSpec = { mode: 'ingress' } as PortSpec;
    if (ip !== '') port.host_ip = ip;
    port.target = container.start + i;
    if (host) {
      // A single container port with a host range means "any free port in this range".
      port.published = containerSize === 0 && host.start !== host.end
        ? `${host.start}-${host.end}`
        : String(host.start + i);
    }
    port.protocol = protocol as Protocol;
    out.push(port);
  }
  // compose-go sorts a range's entries by their "port/proto" text, so 98-101 comes out
  // as 100, 101, 98, 99. We keep that order so `tug config` matches `docker compose config`.
  // Text and numeric order only differ when the range crosses a power of ten.
  if (out.length > 1 && String(container.start).length !== String(container.end).length) {
    out.sort((a, b) => compareText(String(a.target), String(b.target)));
  }
  return out;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

const LONG_FORM_KEYS: ReadonlySet<string> = new Set(['name', 'mode', 'host_ip', 'target', 'published', 'protocol', 'app_protocol']);

function isSet(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** The long form, built in the key order compose prints: name, mode, host_ip, target, published, protocol, app_protocol. */
function normalizeLongPort(raw: Record<string, unknown>, path: PathSegment[], sink: ErrorSink): PortSpec | undefined {
  if (raw.target === undefined || raw.target === null) {
    report(sink, new TugError({ code: 'normalize.port', message: 'A port needs a target (the container port)', path, expected: 'target: 80' }));
    return undefined;
  }
  const target = toInteger(raw.target, [...path, 'target'], sink);
  if (target === undefined) return undefined;
  if (target < 1 || target > 65535) {
    report(sink, new TugError({ code: 'normalize.port', message: `Port ${target} is not a valid container port`, path: [...path, 'target'], expected: PORT_EXPECTED }));
    return undefined;
  }
  const published = isSet(raw.published) ? scalarString(raw.published) : undefined;
  if (published !== undefined) {
    try {
      parseRange(published, 'host');
    } catch (err) {
      if (!(err instanceof PortSyntaxError)) throw err;
      report(sink, new TugError({ code: 'normalize.port', message: `Invalid published port: ${err.why}`, path: [...path, 'published'], expected: err.expected }));
      return undefined;
    }
  }
  const port = {} as PortSpec & Record<string, unknown>;
  if (isSet(raw.name)) port.name = scalarString(raw.name);
  port.mode = isSet(raw.mode) ? (raw.mode as PortSpec['mode']) : 'ingress';
  if (isSet(raw.host_ip)) port.host_ip = scalarString(raw.host_ip);
  port.target = target;
  if (published !== undefined) port.published = published;
  port.protocol = (isSet(raw.protocol) ? scalarString(raw.protocol).toLowerCase() : 'tcp') as Protocol;
  if (isSet(raw.app_protocol)) port.app_protocol = scalarString(raw.app_protocol);
  for (const key in raw) if (!LONG_FORM_KEYS.has(key)) port[key] = raw[key]; // x-* extensions
  return port;
}

/** compose-go's uniqueness key for ports: host_ip:published:target/protocol. */
function portKey(port: PortSpec): string {
  return `${port.host_ip ?? '0.0.0.0'}:${port.published ?? ''}:${port.target}/${port.protocol}`;
}

/**
 * Every entry of `ports:` in long form. Ranges expand; a duplicate (same host
 * IP, published port, target and protocol) replaces the earlier entry in place.
 * `at` is the path of the list, for error messages.
 */
export function normalizePorts(raw: readonly unknown[], at: PathSegment[] = ['ports'], sink?: ErrorSink): PortSpec[] {
  const out: PortSpec[] = [];
  // Most services publish one or two ports: skip the key map until a second port arrives.
  let seen: Map<string, number> | undefined;
  const add = (port: PortSpec) => {
    if (out.length === 0) {
      out.push(port);
      return;
    }
    if (!seen) {
      seen = new Map();
      seen.set(portKey(out[0]!), 0);
    }
    const key = portKey(port);
    const index = seen.get(key);
    if (index === undefined) {
      seen.set(key, out.length);
      out.push(port);
    } else out[index] = port;
  };
  for (let i = 0; i < raw.length; i++) {
    const entry = raw[i];
    if (typeof entry === 'string' || typeof entry === 'number') {
      try {
        for (const port of parseShortPort(String(entry))) add(port);
      } catch (err) {
        if (!(err instanceof PortSyntaxError)) throw err;
        report(sink, new TugError({
          code: 'normalize.port',
          message: `Invalid port ${JSON.stringify(String(entry))}: ${err.why}`,
          path: [...at, i],
          expected: err.expected,
        }));
      }
    } else if (isRaw(entry)) {
      const port = normalizeLongPort(entry, [...at, i], sink);
      if (port) add(port);
    } else {
      report(sink, new TugError({
        code: 'normalize.port',
        message: `A port must be a number, a string or a mapping, got ${describe(entry)}`,
        path: [...at, i],
        expected: SHORT_EXPECTED,
      }));
    }
  }
  return out;
}

/** `expose:` entries: "80", "8000-8010" or "53/udp", each port from 1 to 65535 (kept as written). */
export function checkExpose(entries: readonly string[], at: PathSegment[], sink: ErrorSink): void {
  entries.forEach((entry, i) => {
    const [ports = '', protocol, ...rest] = entry.split('/');
    try {
      if (rest.length > 0 || (protocol !== undefined && !PROTOCOLS.has(protocol.toLowerCase()))) {
        throw new PortSyntaxError(`unknown protocol ${JSON.stringify(entry.slice(ports.length + 1))}`, 'a protocol of tcp, udp or sctp');
      }
      parseRange(ports, 'container');
    } catch (err) {
      if (!(err instanceof PortSyntaxError)) throw err;
      report(sink, new TugError({ code: 'normalize.port', message: `Invalid exposed port ${JSON.stringify(entry)}: ${err.why}`, path: [...at, i], expected: err.expected }));
    }
  });
}

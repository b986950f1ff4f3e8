// A port or a port range as Compose writes them ("80", "8000-8005"), parsed
// once for every reader: the loader's validation of `ports:` and `expose:`,
// and the runtimes that bind a published range. A published range is shared
// by a service's replicas, one host port each, as the Engine allocates it:
// each replica's port is the first free one of the range at its start, which
// gives replica N the N-th port when they start in order. tug asks for that
// outcome directly (replica N tries the N-th port first), so a replica keeps
// its port across restarts and recreates whatever order they happen in.
// Decimal only, 1 to 65535, start ≤ end (go-connections ParsePortRange,
// without port 0: no replica listens on it, and "any free port" is written by
// leaving `published` out).

export interface PortRange {
  start: number;
  end: number;
}

/** Why a text is not a range: not ports at all, a port 0, or an end before the start. */
export type PortRangeError = 'syntax' | 'zero' | 'reversed';

export function parsePortRange(text: string): PortRange | { error: PortRangeError } {
  const trimmed = text.trim();
  const dash = trimmed.indexOf('-');
  const start = portNumber(dash < 0 ? trimmed : trimmed.slice(0, dash));
  const end = dash < 0 ? start : portNumber(trimmed.slice(dash + 1));
  if (start === undefined || end === undefined) return { error: 'syntax' };
  if (start === 0 || end === 0) return { error: 'zero' };
  if (end < start) return { error: 'reversed' };
  return { start, end };
}

function portNumber(text: string): number | undefined {
  if (text.length === 0 || text.length > 5) return undefined;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return undefined;
    n = n * 10 + c;
  }
  return n <= 65535 ? n : undefined;
}

/** The ports of a range, in order: the candidates to bind, first free wins. */
export function portsOf(range: PortRange): number[] {
  const ports: number[] = [];
  for (let p = range.start; p <= range.end; p++) ports.push(p);
  return ports;
}

/** A `published:` value as the host ports to try; undefined when it is not a port or range (the loader refuses those). */
export function publishedCandidates(published: string): number[] | undefined {
  const range = parsePortRange(published);
  return 'error' in range ? undefined : portsOf(range);
}

/**
 * The host ports replica `number` (1-based) of a service tries for a
 * published value: the number-th port of a range first, then the rest of the
 * range in order (a port held by something else is skipped, as the Engine
 * skips it). A single port, and a one-off replica (number 0), try the range in
 * order. Undefined when it is not a port or range, or the range has fewer
 * ports than `number`.
 */
export function replicaCandidates(published: string, number: number): number[] | undefined {
  const ports = publishedCandidates(published);
  if (!ports) return undefined;
  if (number <= 1 || ports.length === 1) return ports;
  if (number > ports.length) return undefined;
  return [ports[number - 1]!, ...ports.slice(number), ...ports.slice(0, number - 1)];
}

/** Whether a `published:` value is a range of more than one port (one host port per replica). */
export function isPublishedRange(published: string | undefined): boolean {
  return published !== undefined && (publishedCandidates(published)?.length ?? 0) > 1;
}

// The ports a replica exposes without publishing them, as Docker lists them
// (`docker compose ps`: `8080/tcp` in PORTS, a Publisher with PublishedPort 0):
// `expose:` entries ("8080", "53/udp", "8000-8002") and, folded into them
// for an image service, the image's EXPOSE, less the targets a published port
// already shows. Pure.
import type { ExposedPort, PublishedPort } from '../reconcile/observed.js';
import { parsePortRange, portsOf } from './port-range.js';

const PROTOCOLS = new Set(['tcp', 'udp', 'sctp']);

export function exposedOnly(expose: readonly string[] | undefined, published: readonly PublishedPort[]): ExposedPort[] {
  const shown = new Set(published.map((p) => `${p.target}/${p.protocol}`));
  const out = new Map<string, ExposedPort>();
  for (const entry of expose ?? []) {
    const [ports = '', proto = 'tcp'] = String(entry).split('/');
    const protocol = proto.toLowerCase();
    const range = parsePortRange(ports);
    if (!PROTOCOLS.has(protocol) || 'error' in range) continue; // refused at load; an image's odd entry is left out
    for (const target of portsOf(range)) {
      const key = `${target}/${protocol}`;
      if (!shown.has(key)) out.set(key, { target, protocol: protocol as ExposedPort['protocol'] });
    }
  }
  return [...out.values()].sort((a, b) => a.target - b.target || a.protocol.localeCompare(b.protocol));
}

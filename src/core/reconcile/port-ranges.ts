// A published port range gives each replica of its service its own host port
// (core/model/port-range.ts), so a service cannot have more replicas than its
// range has ports. Checked before anything starts, so `up --scale web=5` over
// "8000-8002:80" fails at once with the port's place in the file, instead of
// starting three replicas and failing the fourth (Docker: "port is already
// allocated"). Pure: the replicas about to start, in; errors, out.
import { TugError } from '../errors.js';
import { isPublishedRange, publishedCandidates } from '../model/port-range.js';
import type { ReplicaSpec } from './operations.js';

export function rangeShortfalls(starting: readonly ReplicaSpec[]): TugError[] {
  // service → port index → the highest replica number that needs a port of it.
  const wanted = new Map<string, { spec: ReplicaSpec; highest: Map<number, number> }>();
  for (const spec of starting) {
    if (spec.oneoff || spec.number < 1) continue;
    (spec.service_spec.ports ?? []).forEach((port, index) => {
      if (!isPublishedRange(port.published)) return;
      const entry = wanted.get(spec.service) ?? { spec, highest: new Map<number, number>() };
      wanted.set(spec.service, entry);
      entry.highest.set(index, Math.max(entry.highest.get(index) ?? 0, spec.number));
    });
  }
  const errors: TugError[] = [];
  for (const [service, { spec, highest }] of wanted) {
    for (const [index, replicas] of highest) {
      const port = spec.service_spec.ports![index]!;
      const size = publishedCandidates(port.published!)!.length;
      if (replicas <= size) continue;
      errors.push(
        new TugError({
          code: 'ports.range-too-small',
          message: `service ${service}: published range ${port.published} has ${size} ports for ${replicas} replicas (each replica gets its own port of the range)`,
          path: ['services', service, 'ports', index],
          expected: `a range of at least ${replicas} ports`,
          hint: `widen the range, or scale ${service} to at most ${size}`,
        }),
      );
    }
  }
  return errors;
}

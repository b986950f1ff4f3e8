// One literal ReplicaSpec for every test that hands a backend (or a pure
// mapping) a spec directly: the fields a test does not care about get the
// values the planner would give a plain service, so a field added to the spec
// is added here once.
import type { ReplicaSpec } from '../../src/core/reconcile/operations.js';

export function specLiteral(fields: Pick<ReplicaSpec, 'project' | 'service' | 'service_spec'> & Partial<ReplicaSpec>): ReplicaSpec {
  const number = fields.number ?? 1;
  return {
    number,
    name: `${fields.project}-${fields.service}-${number}`,
    oneoff: false,
    labels: {},
    projectDir: '/proj',
    networkNames: {},
    volumeNames: {},
    externalNetworks: [],
    externalVolumes: [],
    secrets: {},
    configs: {},
    ...fields,
  };
}

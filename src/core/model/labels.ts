// Labels on every replica, network and volume tug creates. They use Compose's
// keys so tools that group Compose projects see tug projects too, and so that
// `down`, `ps` and `logs` work from labels alone, without the file.
export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  slug: 'com.docker.compose.slug',
  configHash: 'com.docker.compose.config-hash',
  image: 'com.docker.compose.image',
  dependsOn: 'com.docker.compose.depends_on',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  version: 'com.docker.compose.version',
  replace: 'com.docker.compose.replace',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  /** Which tool made it; Compose tools ignore unknown labels. */
  tugVersion: 'dev.tug.version',
  /**
   * The targets where a container has anonymous volumes (its own, not shared
   * through volumes_from). Engine API 1.41 marks no volume as anonymous, so
   * tug records at create which mounts are, instead of guessing from names.
   */
  anonymousVolumes: 'dev.tug.anonymous-volumes',
} as const;

/** Mount targets as one label value: comma-separated, "%" and "," escaped so that any path survives. */
export function targetsLabel(targets: readonly string[]): string {
  return targets.map((t) => t.replace(/%/g, '%25').replace(/,/g, '%2C')).join(',');
}

export function parseTargetsLabel(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(',').filter((t) => t !== '').map((t) => t.replace(/%2C/gi, ',').replace(/%25/g, '%'));
}

/** `<project>-<service>-<n>`, or the service's container_name. */
export function replicaName(project: string, service: string, number: number, containerName?: string): string {
  return containerName ?? `${project}-${service}-${number}`;
}

/** `svc:condition:restart,…` as Compose writes it, so `down` can rebuild the order without the file. */
export function dependsOnLabel(dependsOn: Record<string, { condition: string; restart: boolean }> | undefined): string {
  return Object.entries(dependsOn ?? {})
    .map(([svc, d]) => `${svc}:${d.condition}:${d.restart}`)
    .sort()
    .join(',');
}

export function parseDependsOnLabel(value: string | undefined): { service: string; condition: string; restart: boolean }[] {
  if (!value) return [];
  return value
    .split(',')
    .filter((e) => e !== '')
    .map((entry) => {
      const [service = '', condition = 'service_started', restart = 'false'] = entry.split(':');
      return { service, condition, restart: restart === 'true' };
    });
}

// `tug config`: validate the project and print it in canonical form, or one of
// its facets (services, volumes, networks, profiles, config hashes).
import { serviceConfigHash } from '../../core/model/hash.js';
import { allProfiles } from '../../core/load/profiles.js';
import { renderConfig, type ConfigFormat } from '../../core/render/config.js';
import { usageError } from '../../core/errors.js';
import { openProject } from '../../host/open-project.js';
import { projectOptions, warn, type CliContext } from '../context.js';

export interface ConfigFlags {
  format: ConfigFormat;
  quiet?: boolean;
  services?: boolean;
  volumes?: boolean;
  networks?: boolean;
  profiles?: boolean;
  hash?: string;
  interpolate: boolean;
}

export async function configCommand(ctx: CliContext, names: string[], flags: ConfigFlags): Promise<number> {
  const loaded = openProject(projectOptions(ctx, { services: names, interpolate: flags.interpolate }), {
    cwd: ctx.cwd,
    env: ctx.env,
  });
  for (const w of [...loaded.discoveryWarnings, ...loaded.warnings]) warn(ctx, w);
  const project = loaded.project;
  if (names.length > 0) {
    project.services = Object.fromEntries(Object.entries(project.services).filter(([n]) => names.includes(n)));
  }
  if (flags.quiet) return 0;
  const lines = (items: string[]) => ctx.out(items.map((i) => `${i}\n`).join(''));
  if (flags.services) return lines(Object.keys(project.services).sort()), 0;
  if (flags.volumes) return lines(Object.keys(project.volumes).sort()), 0;
  if (flags.networks) return lines(Object.keys(project.networks).sort()), 0;
  if (flags.profiles) return lines(allProfiles({ ...project.services, ...project.disabledServices })), 0;
  if (flags.hash !== undefined) {
    const wanted = flags.hash === '*' ? Object.keys(project.services).sort() : flags.hash.split(',').map((s) => s.trim());
    const unknown = wanted.filter((s) => !Object.hasOwn(project.services, s));
    if (unknown.length > 0) throw usageError(`no such service: ${unknown.join(', ')}`);
    return lines(wanted.map((s) => `${s} ${serviceConfigHash(project.services[s]!)}`)), 0;
  }
  ctx.out(renderConfig(project, flags.format, { escape: flags.interpolate }));
  return 0;
}

// What the docker backend cannot run, found before anything starts, all at
// once: services without an image or build, and secret/config grants whose
// source the backend cannot mount (environment sources, external objects).
import { TugError } from '../../core/errors.js';
import type { FileObjectSpec, Project } from '../../core/model/types.js';

export function validateForDocker(project: Project): TugError[] {
  const errors: TugError[] = [];
  for (const [name, svc] of Object.entries(project.services)) {
    if (!svc.image && !svc.build) {
      errors.push(
        new TugError({
          code: 'docker.no-image',
          message: `service "${name}" has neither an image nor a build section`,
          path: ['services', name],
          hint: 'add image: (e.g. image: alpine:3) or build: (a directory with a Dockerfile)',
        }),
      );
    }
    for (const kind of ['secrets', 'configs'] as const) {
      const grants = Array.isArray(svc[kind]) ? (svc[kind] as unknown[]) : [];
      grants.forEach((grant, i) => {
        const source = typeof grant === 'string' ? grant : String((grant as { source?: unknown })?.source ?? '');
        const problem = unsupportedSource(project[kind][source]);
        if (!problem) return;
        errors.push(
          new TugError({
            code: `docker.${kind}-source`,
            message: `service "${name}" uses ${kind === 'secrets' ? 'secret' : 'config'} "${source}", ${problem}`,
            path: ['services', name, kind, i],
            hint: 'give it a file: or content: source',
          }),
        );
      });
    }
  }
  return errors;
}

function unsupportedSource(object: FileObjectSpec | undefined): string | undefined {
  if (!object) return undefined; // an undefined reference is the loader's error
  if (object.external) return 'which is external: only Swarm provides external secrets and configs';
  if (typeof object.file === 'string' || typeof object.content === 'string') return undefined;
  if (typeof object.environment === 'string') return 'whose environment: source the docker backend does not support yet';
  return 'which has no file: or content: source';
}

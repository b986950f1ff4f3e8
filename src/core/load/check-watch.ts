// Checks of `develop.watch` that need more than one rule: `rebuild` needs the
// service's `build`, the project's `x-tug.watch` settings parse, and each
// rule's `path` exists. Existence is asked through the injected `exists`, so
// this stays pure; a missing path is a warning at load (Compose accepts it,
// and a build may create it) and an error for `tug watch` itself.
import { formatPath, TugError, type PathSegment, type SourceLocation } from '../errors.js';
import type { Project } from '../model/types.js';
import { projectWatchRules } from '../watch/rules.js';
import { watchSettings } from '../watch/settings.js';

export function checkWatchRules(project: Project): TugError[] {
  const errors: TugError[] = [];
  for (const { service, index, rule } of projectWatchRules(project)) {
    if (rule.action !== 'rebuild' || project.services[service]!.build !== undefined) continue;
    errors.push(new TugError({
      code: 'check.watch-rebuild',
      message: `service "${service}" has a watch rule with action "rebuild" but no build section`,
      path: ['services', service, 'develop', 'watch', index, 'action'],
      expected: 'a build section, so tug knows how to rebuild the image',
      hint: 'add build: (the context directory), or use action: restart or sync',
    }));
  }
  const settings = watchSettings(project);
  if (settings instanceof TugError) errors.push(settings);
  return errors;
}

/** One error per rule whose `path` is not there. */
export function missingWatchPaths(project: Project, exists: (path: string) => boolean, services?: readonly string[]): TugError[] {
  return projectWatchRules(project, services)
    .filter(({ rule }) => !exists(rule.path))
    .map(({ service, index, rule }) =>
      new TugError({
        code: 'watch.missing-path',
        message: `service "${service}" watches ${rule.path}, which does not exist`,
        path: ['services', service, 'develop', 'watch', index, 'path'],
        expected: 'an existing file or directory (relative paths are relative to the project directory)',
        hint: 'create it, or fix the path in develop.watch',
      }),
    );
}

/** "compose.yaml:12:15: services.web.develop.watch[0].path: <message>", for the loader's warning list. */
export function warningText(err: TugError, locate: (path: readonly PathSegment[]) => SourceLocation | undefined): string {
  const location = err.location ?? (err.path ? locate(err.path) : undefined);
  const where = location ? `${location.file}:${location.line}:${location.column}: ` : '';
  const path = err.path ? `${formatPath(err.path)}: ` : '';
  return `${where}${path}${err.message}`;
}

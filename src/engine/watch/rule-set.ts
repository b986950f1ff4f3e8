// The rules one watch acts on, for the project as it is loaded now (again
// after each reload): compiled matchers, each syncing rule's verdict from the
// backend asked once (copy, nothing to copy, refused), the roots to watch,
// and what is worth saying once about them. A rule whose files need no
// copying, or cannot be copied, keeps its other effects (restart, exec):
// only its sync is taken out.
import { TugError } from '../../core/errors.js';
import type { Project } from '../../core/model/types.js';
import { bindMountCovering } from '../../core/watch/bind-mounts.js';
import { projectWatchRules, syncsFiles } from '../../core/watch/rules.js';
import type { WatchRoot } from '../../runtime/watch/watcher.js';
import type { EngineContext } from '../context.js';
import { compileProjectRules } from './compile.js';
import type { RuleMatcher } from './match.js';
import type { WatchEventInit } from './events.js';

export interface RuleSet {
  matchers: RuleMatcher[];
  /** Rules with `initial_sync` whose files are copied. */
  initialSync: RuleMatcher[];
  /** Said once when watching (re)starts: rules that sync nothing, and why. */
  notices: WatchEventInit[];
}

export async function prepareRules(ctx: EngineContext, project: Project, services: readonly string[] | undefined): Promise<RuleSet> {
  const compiled = await compileProjectRules(project, services);
  const set: RuleSet = { matchers: [], initialSync: [], notices: [] };
  for (const matcher of compiled) {
    const { service, index, rule } = matcher;
    if (rule.action === 'rebuild' && !ctx.backend.capabilities.build) {
      set.notices.push({
        type: 'error',
        service,
        error: new TugError({
          code: 'watch.rebuild-unsupported',
          message: `service "${service}": watch rule ${index} (rebuild) is skipped: the ${ctx.backend.name} backend does not build images`,
          path: ['services', service, 'develop', 'watch', index, 'action'],
          hint: 'use action: restart (or sync+restart) here, or the docker backend',
        }),
      });
      continue;
    }
    if (!syncsFiles(rule.action)) {
      set.matchers.push(matcher);
      continue;
    }
    const verdict = await syncVerdict(ctx, project, matcher);
    if (verdict.kind === 'copy') {
      set.matchers.push(matcher);
      if (rule.initial_sync) set.initialSync.push(matcher);
      continue;
    }
    set.notices.push(verdict.kind === 'in-place' ? { type: 'notice', service, message: verdict.notice } : { type: 'error', service, error: verdict.error });
    set.matchers.push(withoutSync(matcher));
  }
  return set;
}

/** A bind mount that already shows the files at the target needs nothing, on any backend; otherwise the backend decides. */
async function syncVerdict(ctx: EngineContext, project: Project, matcher: RuleMatcher) {
  const { service, index, rule } = matcher;
  const mount = bindMountCovering(project.services[service]!, rule);
  if (mount) {
    return {
      kind: 'in-place' as const,
      notice: `service "${service}": watch rule ${index} syncs ${rule.path}, which is bind-mounted at ${mount.target}: the replica already sees the changes, nothing is copied`,
    };
  }
  return ctx.backend.files!.checkRule(project, matcher);
}

/** The rule as planning sees it once its sync is out: its paths still match (for restart and exec), with nowhere to copy them. */
function withoutSync(matcher: RuleMatcher): RuleMatcher {
  return {
    ...matcher,
    match(absPath) {
      const hit = matcher.match(absPath);
      return hit && { rel: hit.rel };
    },
  };
}

/** What to watch: every rule's path with its pruning, and the project's own files (their directories, nothing below). */
export function watchRootsOf(rules: readonly RuleMatcher[], projectFiles: readonly string[]): WatchRoot[] {
  const roots: WatchRoot[] = rules.map((r) => ({ id: `${r.service}#${r.index}`, path: r.rule.path, prunes: (p, d) => r.prunes(p, d) }));
  const byDir = new Map<string, Set<string>>();
  for (const file of projectFiles) {
    const dir = file.slice(0, file.lastIndexOf('/')) || '/';
    byDir.set(dir, (byDir.get(dir) ?? new Set()).add(file));
  }
  // The directory, not the file: a file replaced by rename (how editors save) and a .env created later are seen.
  for (const [dir, files] of byDir) roots.push({ id: 'project', path: dir, prunes: (p) => p !== dir && !files.has(p) });
  return roots;
}

/** Fails early when the project has rules this backend cannot carry out at all. */
export function checkCanWatch(ctx: EngineContext, project: Project, services: readonly string[] | undefined): void {
  const entries = projectWatchRules(project, services);
  if (entries.length === 0) {
    const which = services && services.length > 0 ? `none of ${services.join(', ')} has` : 'no service has';
    throw new TugError({
      code: 'watch.no-rules',
      message: `nothing to watch: ${which} develop.watch rules`,
      hint: 'add develop.watch to a service (path, action, target), see the README\'s "Watch mode"',
    });
  }
  const syncing = entries.filter((e) => syncsFiles(e.rule.action));
  if (syncing.length > 0 && (!ctx.backend.files || !ctx.backend.capabilities.fileSync)) {
    const names = [...new Set(syncing.map((e) => e.service))];
    throw new TugError({
      code: 'watch.sync-unsupported',
      message: `the ${ctx.backend.name} backend cannot sync files into replicas, and ${names.join(', ')} ${names.length === 1 ? 'has' : 'have'} sync rules`,
      hint: 'use action: restart or rebuild, or another backend',
    });
  }
}

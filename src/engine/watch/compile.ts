// The project's watch rules, ready to match: each service's rules compiled
// with its build context's ignore file (`<Dockerfile>.dockerignore` or
// `.dockerignore`, read once per service by the same code builds use).
import { isRemoteContext } from '../../core/load/normalize/paths.js';
import type { Project } from '../../core/model/types.js';
import { projectWatchRules } from '../../core/watch/rules.js';
import { contextIgnore } from '../../runtime/context/ignore.js';
import { compileRule, type ContextIgnore, type RuleMatcher } from './match.js';

export async function compileProjectRules(project: Project, services?: readonly string[]): Promise<RuleMatcher[]> {
  const contexts = new Map<string, ContextIgnore | undefined>();
  const out: RuleMatcher[] = [];
  for (const entry of projectWatchRules(project, services)) {
    if (!contexts.has(entry.service)) {
      const build = project.services[entry.service]!.build;
      const local = build && !isRemoteContext(build.context);
      contexts.set(entry.service, local ? { dir: build.context, matcher: (await contextIgnore(build.context, build.dockerfile)).matcher } : undefined);
    }
    out.push(compileRule(entry, contexts.get(entry.service)));
  }
  return out;
}

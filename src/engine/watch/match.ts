// Which changed paths a watch rule cares about, and where they go. A path
// counts for a rule when it is under the rule's `path`, is not left out by
// `.git/`, an editor's temporary file, the rule's `ignore` patterns (relative
// to `path`) or the build context's ignore file (for rules under the context),
// and, when the rule has `include` patterns, matches one of them. Patterns use
// .dockerignore syntax through the one matcher builds use. Pure: the build
// context's matcher is read by the caller (runtime/context/ignore.ts).
import { posix } from 'node:path';
import { isInside, relativeInside, trimSlash } from '../../core/watch/paths.js';
import type { ServiceWatchRule } from '../../core/watch/rules.js';
import { ignoreMatcher, type IgnoreMatcher } from '../../runtime/context/ignore.js';

/** A build context and its ignore file's matcher, for rules whose path lies inside it. */
export interface ContextIgnore {
  dir: string;
  matcher: IgnoreMatcher;
}

export interface RuleMatch {
  /** Path relative to the rule's `path` ("" when the rule watches this very file). */
  rel: string;
  /** `target` joined with `rel`, for syncing rules: where the path goes in the replica. */
  target?: string;
}

export interface RuleMatcher extends ServiceWatchRule {
  /** How `absPath` concerns this rule, or undefined when it does not. */
  match(absPath: string): RuleMatch | undefined;
  /**
   * For the watcher: true when neither `absPath` nor anything under it can
   * match, so it need not be read or watched. `include` never prunes a
   * directory (files below it may match); unknown types are pruned only by
   * rules that hold for both.
   */
  prunes(absPath: string, isDirectory?: boolean): boolean;
}

// Editors' scratch files, by name, as Compose leaves them out (its ephemeral
// patterns): they appear and vanish around every save and must not trigger anything.
const EDITOR_TEMP_RULES: readonly { editor: string; pattern: string; test: (name: string) => boolean }[] = [
  { editor: 'vim', pattern: '4913', test: (n) => n === '4913' },
  { editor: 'vim, emacs and others', pattern: '*~', test: (n) => n.endsWith('~') },
  { editor: 'vim', pattern: '.*.swp, .*.swx, .*.swo, .*.swn', test: (n) => n.startsWith('.') && /\.sw[pxon]$/.test(n) },
  { editor: 'emacs', pattern: '.#*', test: (n) => n.startsWith('.#') },
  { editor: 'emacs', pattern: '#*#', test: (n) => n.length > 1 && n.startsWith('#') && n.endsWith('#') },
  { editor: 'JetBrains', pattern: '*___jb_tmp___, *___jb_old___', test: (n) => n.endsWith('___jb_tmp___') || n.endsWith('___jb_old___') },
  { editor: 'kate', pattern: '.*.kate-swp', test: (n) => n.startsWith('.') && n.endsWith('.kate-swp') },
  { editor: 'go', pattern: '*-go-tmp-umask', test: (n) => n.endsWith('-go-tmp-umask') },
];

/** The built-in patterns, for documentation and `--help`. */
export const EDITOR_TEMP_PATTERNS: readonly string[] = EDITOR_TEMP_RULES.map((r) => `${r.pattern} (${r.editor})`);

/** Directories never watched: version control and JetBrains project state. */
const SKIPPED_DIRECTORIES = new Set(['.git', '.idea']);

export function isEditorTemp(name: string): boolean {
  return EDITOR_TEMP_RULES.some((r) => r.test(name));
}

export function compileRule(entry: ServiceWatchRule, context?: ContextIgnore): RuleMatcher {
  const { rule } = entry;
  const root = trimSlash(rule.path);
  const own = rule.ignore && rule.ignore.length > 0 ? ignoreMatcher(rule.ignore.join('\n')) : undefined;
  const include = rule.include && rule.include.length > 0 ? ignoreMatcher(rule.include.join('\n')) : undefined;
  const contextDir = context && (isInside(root, trimSlash(context.dir)) ? trimSlash(context.dir) : undefined);

  /** Out by name, whatever the patterns say: .git/.idea anywhere below the rule, editor temp files. */
  const outByName = (rel: string, abs: string): boolean =>
    (rel !== '' && rel.split('/').some((segment) => SKIPPED_DIRECTORIES.has(segment))) || isEditorTemp(posix.basename(abs));
  /** Out by the rule's ignore patterns or the build context's ignore file. */
  const outByPattern = (rel: string, abs: string): boolean =>
    (own !== undefined && rel !== '' && own.ignores(rel)) ||
    (contextDir !== undefined && abs !== contextDir && context!.matcher.ignores(relativeInside(contextDir, abs)));
  const included = (rel: string): boolean => !include || rel === '' || include.ignores(rel);
  // A `!` pattern may take back something inside an ignored directory: then the directory must be read.
  const canPruneIgnored = !(own?.hasExceptions ?? false) && !(contextDir !== undefined && context!.matcher.hasExceptions);

  return {
    ...entry,
    match(absPath) {
      const abs = trimSlash(absPath);
      if (!isInside(abs, root)) return undefined;
      const rel = relativeInside(root, abs);
      if (outByName(rel, abs) || outByPattern(rel, abs) || !included(rel)) return undefined;
      return rule.target === undefined ? { rel } : { rel, target: joinTarget(rule.target, rel) };
    },
    prunes(absPath, isDirectory) {
      const abs = trimSlash(absPath);
      // Ancestors of the rule's path are how the watcher reaches it: never pruned.
      if (isInside(root, abs)) return false;
      if (!isInside(abs, root)) return true;
      const rel = relativeInside(root, abs);
      if (outByName(rel, abs)) return true;
      if (isDirectory === false) return outByPattern(rel, abs) || !included(rel);
      return canPruneIgnored && outByPattern(rel, abs);
    },
  };
}

/** Target plus relative path, without a trailing slash ("/app" + "src/a.js" → "/app/src/a.js"). */
export function joinTarget(target: string, rel: string): string {
  const joined = rel === '' ? target : posix.join(target, rel);
  return trimSlash(posix.normalize(joined));
}

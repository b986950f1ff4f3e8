// `develop.watch` rules in long form, and the checks that need only the rule:
// a syncing action names its `target`, `sync+exec` carries an `exec` hook with
// a command. Paths are absolute, `ignore`/`include` lists, `initial_sync` a
// boolean, the hook's command a list and its environment a map, as
// `docker compose config` prints them. Checks that need the whole service
// (`rebuild` needs `build`) are in ../check-watch.ts.
import { TugError, type PathSegment } from '../../errors.js';
import { syncsFiles, type WatchAction } from '../../watch/rules.js';
import { castFields, isRaw, report, reportAt, scalarString, toStringList, type ErrorSink, type Raw } from './coerce.js';
import { normalizeEnvironment } from './environment.js';
import { resolveHostPath } from './paths.js';
import type { NormalizeContext } from './service.js';
import { splitShellWords } from './shell-words.js';

/** One written rule (one `path`) in long form; problems go to the sink. */
export function normalizeWatchRule(rule: Raw, path: string, at: PathSegment[], ctx: NormalizeContext, sink: ErrorSink): Raw {
  const out: Raw = { ...castFields(rule, { initial_sync: 'bool' }, at, sink), path: resolveHostPath(path, ctx) };
  for (const key of ['ignore', 'include'] as const) {
    if (rule[key] !== undefined && rule[key] !== null) out[key] = toStringList(rule[key], [...at, key], sink);
  }
  const action = rule.action as WatchAction;
  if (syncsFiles(action) && (typeof rule.target !== 'string' || rule.target.trim() === '')) {
    report(sink, new TugError({
      code: 'normalize.watch-target',
      message: `watch rule with action "${action}" has no target`,
      path: at,
      expected: 'a target: where the changed files go in the container, e.g. target: /app',
      hint: 'add target, or use action: restart or rebuild when nothing needs copying',
    }));
  }
  if (isRaw(rule.exec)) out.exec = normalizeExecHook(rule.exec, [...at, 'exec'], ctx, sink);
  else if (action === 'sync+exec') {
    report(sink, new TugError({
      code: 'normalize.watch-exec',
      message: 'watch rule with action "sync+exec" has no exec hook',
      path: at,
      expected: 'exec: {command: [...]}: the command to run in each container after the files are synced',
      hint: 'add exec.command, or use action: sync',
    }));
  }
  return out;
}

function normalizeExecHook(hook: Raw, at: PathSegment[], ctx: NormalizeContext, sink: ErrorSink): Raw {
  const out = castFields(hook, { privileged: 'bool' }, at, sink);
  if (hook.user !== undefined && hook.user !== null) out.user = scalarString(hook.user);
  if (hook.environment !== undefined && hook.environment !== null) {
    out.environment = normalizeEnvironment(hook.environment, (k) => ctx.lookupEnv(k), [...at, 'environment'], sink);
  }
  const command = hookCommand(hook.command, [...at, 'command'], sink);
  if (command !== undefined) out.command = command;
  return out;
}

/** A string is split into words as Compose does (never run through a shell); an empty command is an error. */
function hookCommand(value: unknown, at: PathSegment[], sink: ErrorSink): string[] | undefined {
  let words: string[] | undefined;
  if (typeof value === 'string') {
    try {
      words = splitShellWords(value);
    } catch (err) {
      reportAt(sink, err, at);
      return undefined;
    }
  } else if (Array.isArray(value)) words = value.map(scalarString);
  if (words && words.length > 0) return words;
  report(sink, new TugError({
    code: 'normalize.watch-exec',
    message: 'the exec hook of a watch rule has an empty command',
    path: at,
    expected: 'a command: a list of words such as ["npm", "install"], or a string',
  }));
  return undefined;
}

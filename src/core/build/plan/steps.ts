// One stage as the sequence of steps a builder runs, given the config of its
// base (an image's, or the stage it builds on): ONBUILD triggers of the base
// first, then each instruction. Filesystem steps (RUN, COPY/ADD, WORKDIR) carry
// everything resolved (argv, env, user, workdir, expanded paths); metadata
// instructions only change the config. Pure: the same inputs give the same steps.
import { TugError, ConfigErrors, type SourceLocation } from '../../errors.js';
import type { CopyInstruction, Instruction, RunInstruction } from '../dockerfile/instructions.js';
import { parseTrigger } from '../dockerfile/parse.js';
import { expandRaw, expandWord, lookupOf, type VarLookup } from '../expand.js';
import { cloneConfig, type HistoryEntry, type ImageConfig } from '../image-config.js';
import { ArgScope, givenArg, PROXY_ARGS } from './args.js';
import { guard, type BuildGraph, type CopySource } from './graph.js';
import { applyMetadata, commandArgv, DEFAULT_SHELL, joinWorkdir, valueError, type StageState } from './metadata.js';

export const DEFAULT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** A file the executor places read-only in the RUN container (a heredoc script with `#!`). */
export interface InlineFile {
  path: string;
  content: string;
  mode: number;
}

export interface RunOp {
  kind: 'run';
  argv: string[];
  /** The environment of the process: image ENV, then declared ARGs, then given proxy args. */
  env: string[];
  /** `env` without the proxy args no ARG declared: what the cache key sees. */
  keyEnv: string[];
  user: string;
  workdir: string;
  /** `RUN --network=none`: none even when the build runs on the host's network; default: the build's (build.network). */
  network: 'none' | 'default';
  files: InlineFile[];
}

export interface CopyOp {
  kind: 'copy';
  instruction: 'copy' | 'add';
  /** Expanded sources, relative to the context (or to the root of `from`). */
  sources: string[];
  /** Heredoc sources: files named `name` holding `content` (expanded unless the name was quoted). */
  inline: { name: string; content: string }[];
  /** Absolute destination. */
  dest: string;
  /** The destination was written as a directory (trailing "/", or "."). */
  destIsDir: boolean;
  from?: CopySource;
  /** `--chown` as written once expanded (`app`, `1000:1000`); resolved against the image's passwd/group. */
  chown?: string;
  chmod?: number;
  link: boolean;
}

export interface WorkdirOp {
  kind: 'workdir';
  path: string;
}

export interface ConfigOp {
  kind: 'config';
}

export type StepOp = RunOp | CopyOp | WorkdirOp | ConfigOp;

export interface PlannedStep {
  op: StepOp;
  location: SourceLocation;
  /** What progress shows (`RUN npm ci`, `ONBUILD COPY . /app`). */
  text: string;
  /** The history entry; the builder sets `created` and, for an empty diff, `empty_layer`. */
  history: HistoryEntry;
}

export interface ResolvedStage {
  steps: PlannedStep[];
  /** The config once every step ran (history and rootfs as the base had them). */
  config: ImageConfig;
}

/** The steps of stage `index`, given its base's config; throws every error at once. */
export function resolveStage(graph: BuildGraph, index: number, baseConfig: ImageConfig): ResolvedStage {
  const stage = graph.stages[index]!;
  const state: StageState = { config: cloneConfig(baseConfig), cmdSet: false, escape: graph.escape };
  const args = new ArgScope(graph.buildArgs, graph.metaArgs);
  const steps: PlannedStep[] = [];
  const errors: TugError[] = [];
  const triggers = state.config.config.OnBuild ?? [];
  // Triggers fire in the first child only: they do not carry over to grandchildren.
  if (triggers.length > 0) state.config.config.OnBuild = null;
  const items: { ins: Instruction; text: string; copyFrom?: CopySource }[] = [];
  for (const trigger of triggers) {
    try {
      const ins = parseTrigger(trigger, stage.from.location);
      if (ins.kind === 'from' || ins.kind === 'onbuild') throw valueError(ins, `the base image's ONBUILD trigger ${JSON.stringify(trigger)} is not allowed`);
      // A trigger's --from can only name an image: the stages it was written beside are gone.
      const copyFrom: CopySource | undefined = (ins.kind === 'copy' || ins.kind === 'add') && ins.from !== undefined ? { kind: 'image', ref: ins.from } : undefined;
      items.push({ ins, text: `ONBUILD ${trigger}`, copyFrom });
    } catch (err) {
      if (err instanceof ConfigErrors) errors.push(...err.errors);
      else if (err instanceof TugError) errors.push(err);
      else throw err;
    }
  }
  stage.instructions.forEach((ins, i) => items.push({ ins, text: ins.text, copyFrom: stage.copyFrom.get(i) }));

  for (const { ins, text, copyFrom } of items) {
    const lookup = lookupOf(args.map, state.config.config.Env ?? []);
    const step = (op: StepOp, createdBy = text): PlannedStep => ({ op, location: ins.location, text, history: { created_by: createdBy, ...(op.kind === 'config' ? { empty_layer: true } : {}) } });
    try {
      const resolved = guard(errors, ins.location, () => {
        switch (ins.kind) {
          case 'arg':
            for (const a of ins.args) args.declare(a.name, a.default, lookupOf(args.map, state.config.config.Env ?? []), graph.escape);
            return undefined;
          case 'run':
            return runStep(ins, state, args, graph, step);
          case 'copy':
          case 'add':
            return step(copyOp(ins, state, lookup, copyFrom));
          case 'workdir':
            applyMetadata(state, ins, lookup);
            return step({ kind: 'workdir', path: state.config.config.WorkingDir! });
          default:
            applyMetadata(state, ins, lookup);
            return step({ kind: 'config' });
        }
      });
      if (resolved) steps.push(resolved);
    } catch (err) {
      if (!(err instanceof TugError)) throw err;
      errors.push(err);
    }
  }
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ConfigErrors(errors);
  return { steps, config: state.config };
}

function runStep(ins: RunInstruction, state: StageState, args: ArgScope, graph: BuildGraph, step: (op: StepOp, createdBy?: string) => PlannedStep): PlannedStep {
  const c = state.config.config;
  const shell = c.Shell ?? DEFAULT_SHELL;
  let argv = commandArgv(ins.command, c);
  const files: InlineFile[] = [];
  if (ins.command.form === 'shell' && ins.heredocs.length > 0) {
    const only = ins.heredocs.length === 1 && /^\d*<<-?\S+$/.test(ins.command.text.trim()) ? ins.heredocs[0]! : undefined;
    if (only && only.content.startsWith('#!')) {
      // A script with its own interpreter runs as a file, as BuildKit does.
      const path = `/dev/pipes/${only.name}`;
      files.push({ path, content: only.content, mode: 0o755 });
      argv = [path];
    } else if (only) argv = [...shell, only.content];
    else argv = [...shell, ins.command.text + ins.heredocs.map((h) => `\n${h.content}${h.name}`).join('')];
  }
  const env = c.Env ?? [];
  const envKeys = new Set(env.map((kv) => kv.slice(0, kv.indexOf('=') < 0 ? kv.length : kv.indexOf('='))));
  const fromArgs = args.entries().filter((kv) => !envKeys.has(kv.slice(0, kv.indexOf('='))));
  const keyEnv = [...env, ...fromArgs];
  if (!envKeys.has('PATH')) keyEnv.push(DEFAULT_PATH);
  const proxies = PROXY_ARGS.filter((name) => !args.has(name) && givenArg(graph.buildArgs, name) !== undefined).map((name) => `${name}=${givenArg(graph.buildArgs, name)}`);
  const op: RunOp = { kind: 'run', argv, env: [...keyEnv, ...proxies], keyEnv, user: c.User ?? '', workdir: c.WorkingDir || '/', network: ins.network === 'none' ? 'none' : 'default', files };
  return step(op, `RUN ${ins.command.form === 'exec' ? JSON.stringify(argv) : argv.join(' ')}`);
}

function copyOp(ins: CopyInstruction, state: StageState, lookup: VarLookup, from: CopySource | undefined): CopyOp {
  const word = (text: string): string => expandWord(text, lookup, state.escape);
  const sources = ins.sources.map(word);
  const written = word(ins.dest);
  if (written === '') throw valueError(ins, 'the destination is empty once expanded');
  const destIsDir = written.endsWith('/') || written === '.' || written.endsWith('/.');
  const dest = joinWorkdir(state.config.config.WorkingDir, written);
  if (sources.length + ins.heredocs.length > 1 && !destIsDir) {
    throw valueError(ins, `with more than one source, the destination ${written} must be a directory ending in "/"`, `write ${written}/`);
  }
  if (ins.kind === 'add') {
    const url = sources.find((s) => /^[a-z][a-z0-9+.-]*:\/\//i.test(s) || /^git@/.test(s));
    if (url) throw valueError(ins, `${url}: downloads are not supported, tug's builder does not download files`, 'download the file beside the Dockerfile and ADD or COPY it from the context');
  }
  let chmod: number | undefined;
  if (ins.chmod !== undefined) {
    const value = word(ins.chmod);
    if (!/^[0-7]{1,4}$/.test(value)) throw valueError(ins, `--chmod=${value} is not an octal mode`, 'write --chmod=644 or --chmod=0755');
    chmod = parseInt(value, 8);
  }
  const inline = ins.heredocs.map((h) => ({ name: h.name, content: h.expand ? expandRaw(h.content, lookup, state.escape) : h.content }));
  const op: CopyOp = { kind: 'copy', instruction: ins.kind, sources, inline, dest, destIsDir, link: ins.link };
  if (from) op.from = from;
  if (ins.chown !== undefined) op.chown = word(ins.chown);
  if (chmod !== undefined) op.chmod = chmod;
  return op;
}

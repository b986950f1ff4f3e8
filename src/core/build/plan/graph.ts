// The stages of a Dockerfile and what depends on what: each FROM starts a stage
// whose base is scratch, an image, or an earlier stage; COPY --from names an
// earlier stage (by name or index) or an image. The target (`build.target`,
// else the last stage) and the stages it needs, transitively, are built; every
// other stage is skipped. Stages whose dependencies are done may run at once.
import { ConfigErrors, TugError, type SourceLocation } from '../../errors.js';
import { closest } from '../../load/suggest.js';
import type { FromInstruction, Instruction, ParsedDockerfile } from '../dockerfile/instructions.js';
import { ExpansionError, expandWord, lookupOf } from '../expand.js';
import type { Platform } from '../image-config.js';
import { ArgScope, givenArg, platformArgs, PROXY_ARGS, type BuildArgs } from './args.js';

export type StageBase = { kind: 'scratch' } | { kind: 'image'; ref: string; platform?: string } | { kind: 'stage'; index: number };
export type CopySource = { kind: 'stage'; index: number } | { kind: 'image'; ref: string };

export interface StageSpec {
  index: number;
  /** `AS name`, lower-cased. */
  name?: string;
  /** How progress names the stage: its name, else its index. */
  label: string;
  base: StageBase;
  from: FromInstruction;
  instructions: Instruction[];
  /** For each COPY/ADD --from in `instructions` (by position), what it reads. */
  copyFrom: Map<number, CopySource>;
  /** Stages that must be built first (the base stage, COPY --from stages), ascending. */
  deps: number[];
}

export interface BuildOptions {
  buildArgs?: BuildArgs;
  target?: string;
  /** The platform the image is for (tug builds for the host). */
  platform: Platform;
  /** The platform the build runs on; defaults to `platform`. */
  buildPlatform?: Platform;
}

export interface BuildGraph {
  file: string;
  escape: string;
  stages: StageSpec[];
  target: number;
  /** The stages to build, dependencies first. */
  needed: number[];
  /** Meta ARG values (before the first FROM) plus the automatic platform ones. */
  metaArgs: ReadonlyMap<string, string | undefined>;
  buildArgs: BuildArgs;
  /** Build arguments no needed stage declares (Docker warns about them). */
  unusedBuildArgs: string[];
}

/** Stages, target and dependencies; throws every error found at once. */
export function planStages(parsed: ParsedDockerfile, options: BuildOptions): BuildGraph {
  const errors: TugError[] = [];
  const buildArgs = options.buildArgs ?? {};
  const auto = platformArgs(options.platform, options.buildPlatform ?? options.platform);
  const firstFrom = parsed.instructions.findIndex((i) => i.kind === 'from');
  const meta = new ArgScope(buildArgs, new Map());
  const declared = new Set<string>();
  for (const ins of parsed.instructions.slice(0, firstFrom)) {
    if (ins.kind !== 'arg') continue;
    for (const arg of ins.args) {
      declared.add(arg.name);
      guard(errors, ins.location, () => meta.declare(arg.name, arg.default, lookupOf(auto, meta.map), parsed.escape));
    }
  }
  const metaArgs = new Map<string, string | undefined>([...auto, ...meta.map]);
  const metaLookup = lookupOf(metaArgs);

  const stages: StageSpec[] = [];
  let current: StageSpec | undefined;
  let scope: ArgScope | undefined;
  for (const ins of parsed.instructions.slice(firstFrom)) {
    if (ins.kind === 'from') {
      current = newStage(ins, stages, metaLookup, parsed.escape, errors);
      stages.push(current);
      scope = new ArgScope(buildArgs, metaArgs);
      continue;
    }
    const stage = current!;
    if (ins.kind === 'arg') {
      for (const arg of ins.args) guard(errors, ins.location, () => scope!.declare(arg.name, arg.default, lookupOf(metaArgs, scope!.map), parsed.escape));
    }
    if ((ins.kind === 'copy' || ins.kind === 'add') && ins.from !== undefined) {
      const value = guard(errors, ins.location, () => expandWord(ins.from!, lookupOf(scope!.map), parsed.escape));
      if (value !== undefined) {
        const source = copySource(value, stage, stages, ins.location, errors);
        if (source) stage.copyFrom.set(stage.instructions.length, source);
      }
    }
    stage.instructions.push(ins);
  }

  const target = targetStage(stages, options.target, parsed.file, errors);
  if (errors.length > 0) throw errors.length === 1 ? errors[0]! : new ConfigErrors(errors);
  const needed = neededStages(stages, target);
  for (const i of needed) for (const ins of stages[i]!.instructions) if (ins.kind === 'arg') ins.args.forEach((a) => declared.add(a.name));
  const unusedBuildArgs = Object.keys(buildArgs).filter((k) => givenArg(buildArgs, k) !== undefined && !declared.has(k) && !PROXY_ARGS.includes(k) && !auto.has(k));
  return { file: parsed.file, escape: parsed.escape, stages, target, needed, metaArgs, buildArgs, unusedBuildArgs };
}

function newStage(from: FromInstruction, stages: StageSpec[], lookup: ReturnType<typeof lookupOf>, escape: string, errors: TugError[]): StageSpec {
  const index = stages.length;
  const stage: StageSpec = { index, name: from.name, label: from.name ?? String(index), base: { kind: 'scratch' }, from, instructions: [], copyFrom: new Map(), deps: [] };
  if (from.name !== undefined && stages.some((s) => s.name === from.name)) {
    errors.push(new TugError({ code: 'dockerfile.stage', message: `the stage name ${JSON.stringify(from.name)} is used twice`, location: from.location, hint: 'give each stage its own name' }));
  }
  const image = guard(errors, from.location, () => expandWord(from.image, lookup, escape));
  const platform = from.platform === undefined ? undefined : guard(errors, from.location, () => expandWord(from.platform!, lookup, escape));
  if (image === undefined) return stage;
  if (image === '') {
    errors.push(
      new TugError({
        code: 'dockerfile.from',
        message: `FROM ${from.image}: the image name is empty once its variables are expanded`,
        location: from.location,
        hint: 'declare the ARG with a default before the first FROM, or pass it with --build-arg',
      }),
    );
    return stage;
  }
  const earlier = stages.find((s) => s.name !== undefined && s.name === image.toLowerCase());
  if (earlier) {
    stage.base = { kind: 'stage', index: earlier.index };
    stage.deps.push(earlier.index);
  } else if (image.toLowerCase() === 'scratch') stage.base = { kind: 'scratch' };
  else stage.base = { kind: 'image', ref: image, ...(platform ? { platform } : {}) };
  return stage;
}

function copySource(value: string, stage: StageSpec, stages: StageSpec[], location: SourceLocation, errors: TugError[]): CopySource | undefined {
  let index: number | undefined;
  if (/^\d+$/.test(value)) {
    index = Number(value);
    if (index >= stage.index) {
      errors.push(new TugError({ code: 'dockerfile.copy-from', message: `--from=${value} refers to this stage or a later one`, location, hint: 'COPY --from can read only stages defined above it' }));
      return undefined;
    }
  } else index = stages.find((s) => s.name === value.toLowerCase() && s.index < stage.index)?.index;
  if (index === undefined) return { kind: 'image', ref: value };
  if (!stage.deps.includes(index)) stage.deps.push(index);
  stage.deps.sort((a, b) => a - b);
  return { kind: 'stage', index };
}

function targetStage(stages: StageSpec[], target: string | undefined, file: string, errors: TugError[]): number {
  if (target === undefined || target === '') return stages.length - 1;
  const found = stages.find((s) => s.name === target.toLowerCase());
  if (found) return found.index;
  const names = stages.flatMap((s) => (s.name ? [s.name] : []));
  const guess = closest(target, names);
  errors.push(
    new TugError({
      code: 'build.target',
      message: `the target stage ${JSON.stringify(target)} is not in ${file}`,
      location: { file, line: 1, column: 1 },
      hint: guess ? `did you mean ${guess}?` : names.length > 0 ? `the named stages are ${names.join(', ')}` : 'name a stage with FROM <image> AS <name>',
    }),
  );
  return stages.length - 1;
}

function neededStages(stages: StageSpec[], target: number): number[] {
  const needed = new Set<number>();
  const visit = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    stages[i]!.deps.forEach(visit);
  };
  visit(target);
  return [...needed].sort((a, b) => a - b);
}

/** Runs `fn`, turning an expansion problem into a located error. */
export function guard<T>(errors: TugError[], location: SourceLocation, fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof ExpansionError)) throw err;
    errors.push(new TugError({ code: 'dockerfile.expand', message: err.message, location, hint: 'see "Environment replacement" in the Dockerfile reference' }));
    return undefined;
  }
}

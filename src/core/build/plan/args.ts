// ARG scoping. An ARG before the first FROM is a "meta" argument: usable in
// FROM lines only, and inside a stage only once re-declared there. A stage ARG
// takes, in order: the build argument (`build.args`, `--build-arg`), its own
// default, the meta argument's value. The predefined proxy arguments need no
// ARG: given as build arguments they reach RUN, but not the cache key, the
// image, or the history (so a proxy password never lands in the image).
import type { Platform } from '../image-config.js';
import { platformString } from '../image-config.js';
import { expandWord, type VarLookup } from '../expand.js';

export const PROXY_ARGS: readonly string[] = ['HTTP_PROXY', 'HTTPS_PROXY', 'FTP_PROXY', 'NO_PROXY', 'ALL_PROXY'].flatMap((n) => [n, n.toLowerCase()]);

export type BuildArgs = Readonly<Record<string, string | null | undefined>>;

/** TARGETPLATFORM, TARGETOS, ... and BUILDPLATFORM, ...: set automatically, in the global scope. */
export function platformArgs(target: Platform, build: Platform): Map<string, string> {
  const out = new Map<string, string>();
  for (const [prefix, p] of [['TARGET', target], ['BUILD', build]] as const) {
    out.set(`${prefix}PLATFORM`, platformString(p));
    out.set(`${prefix}OS`, p.os);
    out.set(`${prefix}ARCH`, p.architecture);
    out.set(`${prefix}VARIANT`, p.variant ?? '');
  }
  return out;
}

/** A build argument as given, or undefined when absent (a null value from Compose means "not given"). */
export function givenArg(args: BuildArgs, name: string): string | undefined {
  const v = Object.prototype.hasOwnProperty.call(args, name) ? args[name] : undefined;
  return v === null ? undefined : v;
}

/** The values ARGs hold in one scope: declared names only, undefined for "declared without a value". */
export class ArgScope {
  private readonly values = new Map<string, string | undefined>();

  constructor(
    private readonly buildArgs: BuildArgs,
    /** What an ARG without its own default falls back to (the meta arguments, the platform ones). */
    private readonly outer: ReadonlyMap<string, string | undefined>,
  ) {}

  /** Declares `ARG name[=default]`; `lookup` expands the default (it sees earlier ARGs and ENV). */
  declare(name: string, rawDefault: string | undefined, lookup: VarLookup, escape: string): void {
    const given = givenArg(this.buildArgs, name);
    if (given !== undefined) this.values.set(name, given);
    else if (rawDefault !== undefined) this.values.set(name, expandWord(rawDefault, lookup, escape));
    else this.values.set(name, this.outer.get(name));
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  get map(): ReadonlyMap<string, string | undefined> {
    return this.values;
  }

  /** KEY=VALUE of every declared ARG that has a value. */
  entries(): string[] {
    return [...this.values].filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`);
  }
}

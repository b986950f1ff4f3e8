// Cache keys of build steps. A key names a filesystem state: the base's, then
// each step's from its parent's key and everything that decides what the step
// writes: for RUN the argv, environment (build args included, undeclared proxy
// args not), user, workdir and network; for COPY/ADD the destination, ownership,
// mode and the content hash of what it reads (names, modes, contents; never
// mtimes); for WORKDIR the path. Metadata instructions write nothing, so they
// change no key: a new LABEL does not rebuild the RUN below it (as in BuildKit).
import { createHash } from 'node:crypto';
import { canonicalJson } from '../model/hash.js';
import type { RunOp, StepOp } from './plan/steps.js';

const VERSION = 'tug-build-cache/v1';

export type BaseKeyInput = { kind: 'scratch' } | { kind: 'image'; imageId: string } | { kind: 'stage'; key: string };

/** Things of the build (not of the Dockerfile) that change what a RUN does. */
export interface RunEnvironment {
  extraHosts?: readonly string[];
  /** `build.network` (BuildKit keys a RUN by its network mode too). */
  network?: 'none' | 'host';
}

/** The network a RUN step runs in: its own `--network=none`, else the build's. */
export function runNetwork(op: Pick<RunOp, 'network'>, run: RunEnvironment = {}): 'none' | 'host' {
  return op.network === 'none' ? 'none' : (run.network ?? 'none');
}

export function baseKey(base: BaseKeyInput): string {
  return digest(base.kind === 'scratch' ? { v: VERSION, scratch: true } : base.kind === 'image' ? { v: VERSION, image: base.imageId } : { v: VERSION, stage: base.key });
}

/**
 * The key of a filesystem step on top of `parent`. `contentHash` is the digest
 * of the files a COPY/ADD reads (context files, or files of another stage or image).
 */
export function stepKey(parent: string, op: StepOp, inputs: { contentHash?: string; run?: RunEnvironment } = {}): string {
  switch (op.kind) {
    case 'run':
      return digest({
        v: VERSION,
        parent,
        run: { argv: op.argv, env: op.keyEnv, user: op.user, workdir: op.workdir, network: runNetwork(op, inputs.run), files: op.files, extraHosts: inputs.run?.extraHosts ?? [] },
      });
    case 'copy':
      return digest({
        v: VERSION,
        parent,
        copy: {
          instruction: op.instruction,
          sources: op.sources,
          inline: op.inline,
          dest: op.dest,
          destIsDir: op.destIsDir,
          chown: op.chown ?? null,
          chmod: op.chmod ?? null,
          content: inputs.contentHash ?? null,
        },
      });
    case 'workdir':
      return digest({ v: VERSION, parent, workdir: op.path });
    case 'config':
      return parent;
  }
}

function digest(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}

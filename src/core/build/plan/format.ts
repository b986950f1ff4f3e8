// A build plan as text, one line per stage and per step, for tests that compare
// whole plans at a glance and for a dry run that shows what a build would do.
import type { BuildGraph } from './graph.js';
import type { ResolvedStage, StepOp } from './steps.js';

/** The stages: base, dependencies, and whether the target needs them. */
export function formatStages(graph: BuildGraph): string {
  return graph.stages
    .map((s) => {
      const base = s.base.kind === 'scratch' ? 'scratch' : s.base.kind === 'image' ? `image ${s.base.ref}${s.base.platform ? ` (${s.base.platform})` : ''}` : `stage ${graph.stages[s.base.index]!.label}`;
      const deps = s.deps.length > 0 ? ` after ${s.deps.map((d) => graph.stages[d]!.label).join(', ')}` : '';
      const role = s.index === graph.target ? ' [target]' : graph.needed.includes(s.index) ? '' : ' [skipped]';
      return `stage ${s.label}: ${base}${deps}${role}`;
    })
    .join('\n');
}

/** The steps of one resolved stage, filesystem steps with what decides their layer. */
export function formatSteps(stage: ResolvedStage): string {
  return stage.steps.map((s) => `${s.location.line}: ${formatOp(s.op, s.text)}`).join('\n');
}

function formatOp(op: StepOp, text: string): string {
  switch (op.kind) {
    case 'run': {
      const who = [op.user ? `user=${op.user}` : '', `workdir=${op.workdir}`, op.files.length > 0 ? `files=${op.files.map((f) => f.path).join(',')}` : ''].filter((x) => x !== '');
      return `RUN ${JSON.stringify(op.argv)} ${who.join(' ')}`;
    }
    case 'copy': {
      const from = op.from ? ` from=${op.from.kind === 'stage' ? `stage:${op.from.index}` : op.from.ref}` : '';
      const flags = [op.chown ? `chown=${op.chown}` : '', op.chmod !== undefined ? `chmod=${op.chmod.toString(8)}` : ''].filter((x) => x !== '');
      const sources = [...op.sources, ...op.inline.map((d) => `<<${d.name}`)];
      return `${op.instruction.toUpperCase()} ${JSON.stringify(sources)} -> ${op.dest}${op.destIsDir ? '/' : ''}${from}${flags.length > 0 ? ` ${flags.join(' ')}` : ''}`;
    }
    case 'workdir':
      return `WORKDIR ${op.path} (mkdir)`;
    case 'config':
      return `config: ${text}`;
  }
}

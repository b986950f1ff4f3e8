// Cache keys: equal for an unchanged step, different when anything the step
// writes depends on changes, unchanged by metadata that writes nothing.
import { describe, expect, it } from 'vitest';
import { baseKey, stepKey } from '../../src/core/build/cache-key.js';
import { parseDockerfile } from '../../src/core/build/dockerfile/parse.js';
import { planStages, type BuildOptions } from '../../src/core/build/plan/graph.js';
import { resolveStage } from '../../src/core/build/plan/steps.js';
import { scratchConfig } from '../../src/core/build/image-config.js';

const platform = { os: 'linux', architecture: 'amd64' };

/** The key of every filesystem step of the last stage, as a builder chains them. */
function keys(text: string, opts: Partial<BuildOptions> = {}, contentHash = 'sha256:ctx'): string[] {
  const graph = planStages(parseDockerfile(text), { platform, ...opts });
  const stage = resolveStage(graph, graph.target, scratchConfig(platform));
  let key = baseKey({ kind: 'image', imageId: 'sha256:base' });
  const out: string[] = [];
  for (const step of stage.steps) {
    if (step.op.kind === 'config') continue;
    key = stepKey(key, step.op, { contentHash: step.op.kind === 'copy' ? contentHash : undefined });
    out.push(key);
  }
  return out;
}

const dockerfile = 'FROM base\nRUN echo one\nCOPY . /app\nRUN echo two\n';

describe('cache keys', () => {
  it('are the same for the same Dockerfile, args and context', () => {
    expect(keys(dockerfile)).toEqual(keys(dockerfile));
    expect(new Set(keys(dockerfile)).size).toBe(3);
  });

  it('change from the COPY on when the context content changes, not before', () => {
    const [a1, a2, a3] = keys(dockerfile, {}, 'sha256:v1');
    const [b1, b2, b3] = keys(dockerfile, {}, 'sha256:v2');
    expect(b1).toBe(a1);
    expect(b2).not.toBe(a2);
    expect(b3).not.toBe(a3);
  });

  it('ignore a LABEL added above a RUN, but not an ENV (the RUN sees it)', () => {
    const plain = keys('FROM base\nRUN make\n');
    expect(keys('FROM base\nLABEL a=b\nRUN make\n')).toEqual(plain);
    expect(keys('FROM base\nENV A=b\nRUN make\n')).not.toEqual(plain);
    expect(keys('FROM base\nUSER app\nRUN make\n')).not.toEqual(plain);
  });

  it('change at the first RUN after an ARG whose value changed, and not for a proxy arg', () => {
    const text = 'FROM base\nRUN before\nARG V\nRUN after\n';
    const [x1, x2] = keys(text, { buildArgs: { V: '1' } });
    const [y1, y2] = keys(text, { buildArgs: { V: '2' } });
    expect(y1).toBe(x1);
    expect(y2).not.toBe(x2);
    expect(keys(text, { buildArgs: { V: '1', HTTP_PROXY: 'http://p:1' } })).toEqual([x1, x2]);
  });

  it('depend on the base image and on COPY flags', () => {
    expect(baseKey({ kind: 'image', imageId: 'sha256:a' })).not.toBe(baseKey({ kind: 'image', imageId: 'sha256:b' }));
    expect(keys('FROM base\nCOPY --chmod=600 a /a\n')).not.toEqual(keys('FROM base\nCOPY a /a\n'));
  });
});

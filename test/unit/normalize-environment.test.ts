import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { mergeEnvironment, normalizeEnvironment } from '../../src/core/load/normalize/environment.js';

const env: Record<string, string> = { HOME: '/home/ada', EMPTY: '' };
const lookup = (k: string) => env[k];

describe('normalizeEnvironment', () => {
  it('splits list entries at the first "="', () => {
    expect(normalizeEnvironment(['A=1', 'B=x=y', 'C='], lookup)).toEqual({ A: '1', B: 'x=y', C: '' });
  });

  it('resolves a bare list entry from the environment, or keeps it as null', () => {
    expect(normalizeEnvironment(['HOME', 'EMPTY', 'MISSING'], lookup)).toEqual({ HOME: '/home/ada', EMPTY: '', MISSING: null });
  });

  it('turns map values into strings and resolves null values', () => {
    expect(normalizeEnvironment({ PORT: 80, DEBUG: true, RATIO: 0.5, S: 'x', HOME: null, MISSING: null }, lookup)).toEqual({
      PORT: '80',
      DEBUG: 'true',
      RATIO: '0.5',
      S: 'x',
      HOME: '/home/ada',
      MISSING: null,
    });
  });

  it('later list entries win', () => {
    expect(normalizeEnvironment(['A=1', 'A=2'], lookup)).toEqual({ A: '2' });
  });

  it('reports entries without a key', () => {
    const sink: TugError[] = [];
    normalizeEnvironment(['=oops', 'OK=1'], lookup, ['services', 'web', 'environment'], sink);
    expect(sink[0]!.path).toEqual(['services', 'web', 'environment', 0]);
  });
});

describe('mergeEnvironment', () => {
  it('lets the service environment win over env files', () => {
    expect(mergeEnvironment({ A: 'file', B: 'file' }, { B: 'own', C: 'own' })).toEqual({ A: 'file', B: 'own', C: 'own' });
  });

  it('does not erase a file value with an unresolved bare name', () => {
    expect(mergeEnvironment({ A: 'file' }, { A: null, B: null })).toEqual({ A: 'file', B: null });
  });
});

import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import {
  addImplicitDefaultNetwork,
  normalizeFileObjects,
  normalizeNetworks,
  normalizeVolumesTop,
} from '../../src/core/load/normalize/resources.js';

const ctx = { workingDir: '/proj', homeDir: '/home/ada' };

describe('normalizeNetworks', () => {
  it('turns null entries into objects named <project>_<key>', () => {
    expect(normalizeNetworks({ front: null, back: { driver: 'bridge' } }, 'shop', ctx)).toEqual({
      front: { name: 'shop_front' },
      back: { name: 'shop_back', driver: 'bridge' },
    });
  });

  it('keeps an explicit name, and names an external network by its key', () => {
    expect(normalizeNetworks({ a: { name: 'custom' }, b: { external: true }, c: { external: 'true', name: 'real' } }, 'shop', ctx)).toEqual({
      a: { name: 'custom' },
      b: { name: 'b', external: true },
      c: { name: 'real', external: true },
    });
  });

  it('rewrites the deprecated external.name', () => {
    expect(normalizeNetworks({ legacy: { external: { name: 'outside' } } }, 'shop', ctx)).toEqual({
      legacy: { name: 'outside', external: true },
    });
  });

  it('casts booleans, labels and driver options', () => {
    expect(
      normalizeNetworks({ n: { internal: 'yes', attachable: false, labels: ['a=1'], driver_opts: { mtu: 1400 } } }, 'p', ctx),
    ).toEqual({ n: { name: 'p_n', internal: true, attachable: false, labels: { a: '1' }, driver_opts: { mtu: '1400' } } });
  });

  it('reports bad values with their path', () => {
    const sink: TugError[] = [];
    normalizeNetworks({ n: { internal: 'perhaps' }, m: 'oops' }, 'p', ctx, sink);
    expect(sink.map((e) => e.path)).toEqual([['networks', 'n', 'internal'], ['networks', 'm']]);
  });
});

describe('normalizeVolumesTop', () => {
  it('names volumes like networks', () => {
    expect(normalizeVolumesTop({ data: null, ext: { external: true }, named: { name: 'x' } }, 'shop', ctx)).toEqual({
      data: { name: 'shop_data' },
      ext: { name: 'ext', external: true },
      named: { name: 'x' },
    });
  });

  it('makes the device of a local bind volume absolute', () => {
    const volumes = normalizeVolumesTop({ src: { driver_opts: { type: 'none', o: 'bind', device: './src' } } }, 'p', ctx);
    expect(volumes.src!.driver_opts).toEqual({ type: 'none', o: 'bind', device: '/proj/src' });
  });
});

describe('normalizeFileObjects', () => {
  it('resolves secret files and names them', () => {
    expect(
      normalizeFileObjects({ token: { file: './token.txt' }, api: { environment: 'API_KEY' }, ext: { external: true } }, 'shop', ctx),
    ).toEqual({
      token: { name: 'shop_token', file: '/proj/token.txt' },
      api: { name: 'shop_api', environment: 'API_KEY' },
      ext: { name: 'ext', external: true },
    });
  });

  it('reports errors under configs when told so', () => {
    const sink: TugError[] = [];
    normalizeFileObjects({ c: { external: 'nah' } }, 'p', ctx, 'configs', sink);
    expect(sink[0]!.path).toEqual(['configs', 'c', 'external']);
  });
});

describe('addImplicitDefaultNetwork', () => {
  it('adds <project>_default only when a service uses it', () => {
    expect(addImplicitDefaultNetwork({}, { web: { networks: { default: null } } }, 'shop')).toEqual({
      default: { name: 'shop_default' },
    });
    const none = {};
    expect(addImplicitDefaultNetwork(none, { web: { network_mode: 'host' } }, 'shop')).toBe(none);
  });

  it('keeps a declared default network', () => {
    const declared = { default: { name: 'mine' } };
    expect(addImplicitDefaultNetwork(declared, { web: { networks: { default: null } } }, 'shop')).toBe(declared);
  });
});

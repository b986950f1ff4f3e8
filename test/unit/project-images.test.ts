// Which services `tug pull` pulls, which names `down --rmi` removes, and the
// service a container runs from its image (the image's USER, STOPSIGNAL,
// HEALTHCHECK and EXPOSE as the service's defaults): pure, from literals.
import { describe, expect, it } from 'vitest';
import { serviceWithImageDefaults } from '../../src/core/images/container-config.js';
import { imagesToRemove } from '../../src/core/images/down-images.js';
import { pullableServices } from '../../src/core/images/pull-policy.js';
import type { Project, ServiceSpec } from '../../src/core/model/types.js';
import type { ObservedState } from '../../src/core/reconcile/observed.js';
import { projectLiteral } from '../helpers/project-literal.js';

const project = (services: Record<string, ServiceSpec>): Project => projectLiteral({ name: 'shop', workingDir: '/w', services });
const empty: ObservedState = { project: 'shop', replicas: [], networks: [], volumes: [] };

describe('pullableServices', () => {
  it('takes services with an image whose pull_policy lets them be pulled', () => {
    const p = project({ web: { image: 'nginx' }, pinned: { image: 'a', pull_policy: 'never' }, built: { image: 'b', build: { context: '.' }, pull_policy: 'build' }, host: { command: ['true'] }, daily: { image: 'c', pull_policy: 'daily' } });
    expect(pullableServices(p, ['daily', 'host', 'pinned', 'built', 'web'])).toEqual(['daily', 'web']);
  });
});

describe('imagesToRemove', () => {
  const p = project({ web: { image: 'nginx:1' }, api: { build: { context: '.' } }, named: { image: 'me/app:2', build: { context: '.' } }, host: { command: ['true'] } });

  it('all: every service image, and the default name of built ones', () => {
    expect(imagesToRemove('shop', p, empty, 'all')).toEqual(['me/app:2', 'nginx:1', 'shop-api']);
  });

  it('local: only built images without a name of the file\'s own', () => {
    expect(imagesToRemove('shop', p, empty, 'local')).toEqual(['shop-api']);
  });

  it('without the file, the replicas\' images', () => {
    const replica = (service: string, image: string) => ({ id: service, name: `shop-${service}-1`, project: 'shop', service, number: 1, oneoff: false, state: 'running', labels: {}, restartCount: 0, ports: [], image }) satisfies ObservedState['replicas'][number];
    const observed: ObservedState = { ...empty, replicas: [replica('web', 'nginx:1'), replica('api', 'shop-api')] };
    expect(imagesToRemove('shop', undefined, observed, 'all')).toEqual(['nginx:1', 'shop-api']);
    expect(imagesToRemove('shop', undefined, observed, 'local')).toEqual(['shop-api']);
  });
});

describe('serviceWithImageDefaults', () => {
  const image = { User: 'app', StopSignal: 'SIGINT', ExposedPorts: { '8080/tcp': {} }, Healthcheck: { Test: ['CMD', 'true'], Interval: 5_000_000_000, Retries: 2 }, Env: ['A=1'], Cmd: ['run'] };

  it('fills user, stop_signal, healthcheck and expose from the image', () => {
    expect(serviceWithImageDefaults({ image: 'x' }, image)).toEqual({ image: 'x', user: 'app', stop_signal: 'SIGINT', expose: ['8080/tcp'], healthcheck: { test: ['CMD', 'true'], interval: '5s', retries: 2 } });
  });

  it('keeps what the service says, field by field, and a disabled health check stays disabled', () => {
    const out = serviceWithImageDefaults({ image: 'x', user: '0', stop_signal: 'SIGTERM', expose: ['9000'], healthcheck: { retries: 7 } }, image);
    expect(out).toMatchObject({ user: '0', stop_signal: 'SIGTERM', expose: ['8080/tcp', '9000/tcp'], healthcheck: { test: ['CMD', 'true'], interval: '5s', retries: 7 } });
    expect(serviceWithImageDefaults({ image: 'x', healthcheck: { disable: true } }, image).healthcheck).toEqual({ disable: true });
  });

  it('turns image VOLUMEs the service does not mount into anonymous volumes', () => {
    const out = serviceWithImageDefaults({ image: 'x', volumes: [{ type: 'bind', source: '/h', target: '/logs' }] }, { Volumes: { '/data': {}, '/logs/': {} } });
    expect(out.volumes).toEqual([{ type: 'bind', source: '/h', target: '/logs' }, { type: 'volume', target: '/data' }]);
  });

  it('leaves the command, environment and working directory to the root filesystem', () => {
    const out = serviceWithImageDefaults({ image: 'x' }, { ...image, WorkingDir: '/app' });
    expect(out.command).toBeUndefined();
    expect(out.environment).toBeUndefined();
    expect(out.working_dir).toBeUndefined();
  });
});

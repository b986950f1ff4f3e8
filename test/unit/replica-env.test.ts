// One environment builder for process replicas, their execs and container replicas.
import { describe, expect, it } from 'vitest';
import { DEFAULT_PATH } from '../../src/core/images/container-config.js';
import type { HostReplicaSpec } from '../../src/runtime/native/host-env.js';
import { replicaEnvironment, serviceEnvironment } from '../../src/runtime/native/replica-env.js';

const spec = {
  project: 'shop',
  service: 'web',
  number: 3,
  name: 'shop-web-3',
  oneoff: false,
  labels: {},
  service_spec: { environment: { HOME: '/from-compose', MODE: 'x', TUG_SERVICE: 'spoofed', UNSET: null, ['__proto__']: 'kept' } },
  projectDir: '/srv/shop',
  networkNames: {},
  volumeNames: {},
  hostEnv: { PATH: '/host/bin', HOME: '/root', LANG: 'C.UTF-8' },
} as unknown as HostReplicaSpec;

describe('replicaEnvironment', () => {
  it('layers host variables, the user\'s HOME, the Compose environment, then tug\'s own variables and exec -e', () => {
    const env = replicaEnvironment(spec, { home: '/home/app', volumeEnv: { TUG_VOLUME_DATA: '/v' }, extra: { MODE: 'exec' } });
    expect({ ...env }).toEqual({
      PATH: '/host/bin',
      HOME: '/from-compose',
      LANG: 'C.UTF-8',
      MODE: 'exec',
      TUG_PROJECT: 'shop',
      TUG_SERVICE: 'web',
      TUG_REPLICA: '3',
      TUG_VOLUME_DATA: '/v',
      ['__proto__']: 'kept',
    });
    expect(Object.hasOwn(env, '__proto__')).toBe(true);
    expect('UNSET' in env).toBe(false);
  });

  it('a default PATH when the host gives none; the resolved HOME when Compose sets none', () => {
    const bare = { ...spec, hostEnv: {}, service_spec: {} } as unknown as HostReplicaSpec;
    expect(replicaEnvironment(bare, { home: '/home/app' })).toMatchObject({ PATH: DEFAULT_PATH, HOME: '/home/app' });
  });

  it('a container starts from its own base, with the same service layer on top', () => {
    const env = serviceEnvironment(spec, { PATH: '/image/bin', HOSTNAME: 'web', HOME: '/' });
    expect(env).toMatchObject({ PATH: '/image/bin', HOSTNAME: 'web', HOME: '/from-compose', TUG_SERVICE: 'web', TUG_REPLICA: '3' });
  });
});

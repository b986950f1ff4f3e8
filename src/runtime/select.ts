// Which runtime a command uses: --backend, else TUG_BACKEND, else native.
import { usageError } from '../core/errors.js';
import type { RuntimeBackend } from './backend.js';

export const BACKENDS = ['native', 'docker'] as const;
export type BackendName = (typeof BACKENDS)[number];

export async function selectBackend(
  flag: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
  /** Things a backend found and fixed on its own (e.g. replicas left by a crashed engine). */
  onNotice: (message: string) => void = () => {},
  /** Native backend only: --isolation. */
  native: { isolation?: string } = {},
): Promise<RuntimeBackend> {
  const name = flag ?? env.TUG_BACKEND ?? 'native';
  if (name === 'native') {
    const { createNativeBackend } = await import('./native/backend.js');
    const { tugHome } = await import('./native/home.js');
    return createNativeBackend({ home: tugHome(env), env, isolation: native.isolation, onNotice: (n) => onNotice(n.message) });
  }
  if (name === 'docker') {
    const { createDockerBackend } = await import('./docker/backend.js');
    return createDockerBackend({ env });
  }
  throw usageError(`unknown backend "${name}"`, `choose one of: ${BACKENDS.join(', ')}`);
}

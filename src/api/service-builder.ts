// Which builder `build` uses on a backend: tug's own on the native runtime
// (its image store under TUG_HOME), the backend's images facet elsewhere
// (docker: the Engine's classic builder, the path `up --build` takes there).
import { TugError } from '../core/errors.js';
import type { ServiceBuilder } from '../engine/build.js';
import { emit, type EngineContext } from '../engine/context.js';

export function serviceBuilder(engine: EngineContext): ServiceBuilder {
  const { backend } = engine;
  if (backend.name === 'native') {
    return async (project, service, opts) => {
      const [{ buildServiceImage }, { ImageStore }] = await Promise.all([import('../runtime/build/native/build-service.js'), import('../runtime/images/store/image-store.js')]);
      return buildServiceImage(ImageStore.forEnv(engine.env), project, service, { env: engine.env, onEvent: opts.onEvent, ...(opts.signal && { signal: opts.signal }), parallelism: 2 });
    };
  }
  const images = backend.images;
  if (!images || !backend.capabilities.build) {
    return async () => {
      throw new TugError({ code: 'build.unsupported-backend', message: `the ${backend.name} backend cannot build images`, hint: 'use --backend native or --backend docker' });
    };
  }
  return async (project, service, opts) => {
    const ids = await images.prepare(project, [service], {
      build: 'always',
      ...(opts.signal && { signal: opts.signal }),
      onProgress: (progress) => emit(engine, { type: 'image', progress }),
    });
    return ids[service] ?? '';
  };
}

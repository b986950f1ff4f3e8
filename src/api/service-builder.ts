// The builder `tug build` uses: the backend's images facet with the build
// forced, the very path `up --build` takes (native: tug's own builder on its
// image store; docker: the Engine's classic builder).
import { TugError } from '../core/errors.js';
import type { ServiceBuilder } from '../engine/build.js';
import { emit, type EngineContext } from '../engine/context.js';

export function serviceBuilder(engine: EngineContext): ServiceBuilder {
  const { backend } = engine;
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
      ...(opts.onEvent && { onBuild: opts.onEvent }),
    });
    return ids[service] ?? '';
  };
}

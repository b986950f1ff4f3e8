// The native backend's images: tug's own store under TUG_HOME/images, shared
// by all of the user's projects, filled from registries by tug itself (no
// daemon). `up` gets each service's image per pull_policy and `--pull`, with
// per-layer progress; the image ID per service becomes the replica's
// `com.docker.compose.image` label, so a new digest recreates its replicas.
// A service that needs a build (--build, pull_policy build, or its image
// missing) is built with tug's own builder (src/runtime/build/native).
import { TugError, throwIfAny } from '../../core/errors.js';
import { pullableServices } from '../../core/images/pull-policy.js';
import { formatReference, parseReference } from '../../core/images/reference.js';
import type { Project, ServiceSpec } from '../../core/model/types.js';
import type { ImageFacet, ImagePreparation, ImagePullResult, ImageRemoval, ProjectImage } from '../backend.js';
import { prepareStoreImages } from '../images/prepare.js';
import { ImageStore } from '../images/store/image-store.js';
import { removeImage } from '../images/store/prune.js';

export class NativeImages implements ImageFacet {
  constructor(
    private readonly home: string,
    /** Where DOCKER_CONFIG, TUG_INSECURE_REGISTRIES and TUG_REGISTRY_MIRRORS come from. */
    private readonly env: Readonly<Record<string, string | undefined>>,
  ) {}

  get store(): ImageStore {
    return new ImageStore(this.home);
  }

  async prepare(project: Project, services: string[], opts: ImagePreparation): Promise<Record<string, string>> {
    const store = this.store;
    const result = await prepareStoreImages(store, project, services, {
      env: this.env,
      build: opts.build,
      // tug's own builder (runc RUN steps on this store), loaded only when a service needs a build.
      builder: async (service) => {
        const { buildServiceImage } = await import('../build/native/build-service.js');
        return buildServiceImage(store, project, service, { env: this.env, ...(opts.onBuild && { onEvent: opts.onBuild }), ...(opts.signal && { signal: opts.signal }) });
      },
      ...(opts.pull !== undefined && { pull: opts.pull }),
      ...(opts.onProgress && { onProgress: opts.onProgress }),
      ...(opts.signal && { signal: opts.signal }),
    });
    throwIfAny(Object.values(result.failures));
    return result.ids;
  }

  /** As `docker compose pull`: services without an image, or whose pull_policy is never or build, are left alone. */
  async pull(project: Project, services: string[], opts: Pick<ImagePreparation, 'onProgress' | 'signal'>): Promise<ImagePullResult> {
    const result = await prepareStoreImages(this.store, project, pullableServices(project, services), {
      env: this.env,
      pull: 'always',
      ...(opts.onProgress && { onProgress: opts.onProgress }),
      ...(opts.signal && { signal: opts.signal }),
    });
    return { ids: result.ids, failures: result.failures };
  }

  async list(project: Project, services: string[]): Promise<ProjectImage[]> {
    const store = this.store;
    const refs = await store.readRefs();
    const rows: ProjectImage[] = [];
    for (const service of services) {
      const image = specOf(project, service)?.image;
      if (!image) continue;
      const ref = parseReference(image);
      const entry = refs[formatReference(ref)];
      const record = entry ? await store.getImage(entry.id) : undefined;
      if (!record) continue;
      const [repository, tag] = image.includes('@') ? [image.split('@')[0]!, '<none>'] : splitTag(image, ref.tag ?? 'latest');
      const p = record.platform;
      rows.push({ service, repository, tag, id: record.id, size: await store.imageSize(record), platform: [p.os, p.architecture, p.variant].filter(Boolean).join('/') });
    }
    return rows;
  }

  /** Each name goes from the store's references; the image and its content go too once nothing names or leases it. */
  async remove(names: readonly string[]): Promise<ImageRemoval[]> {
    const out: ImageRemoval[] = [];
    for (const name of names) {
      try {
        await removeImage(this.store, name);
        out.push({ name, outcome: 'removed' });
      } catch (err) {
        if (!(err instanceof TugError) || (err.code !== 'image.not-found' && err.code !== 'image.in-use')) throw err;
        out.push(err.code === 'image.in-use' ? { name, outcome: 'kept', reason: err.message } : { name, outcome: 'missing' });
      }
    }
    return out;
  }
}

function specOf(project: Project, service: string): ServiceSpec | undefined {
  return project.services[service] ?? project.disabledServices[service];
}


/** The name as the file wrote it, split at its tag. */
function splitTag(image: string, tag: string): [string, string] {
  const colon = image.lastIndexOf(':');
  return colon > image.lastIndexOf('/') ? [image.slice(0, colon), image.slice(colon + 1)] : [image, tag];
}

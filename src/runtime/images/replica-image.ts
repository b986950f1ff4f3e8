// Everything a replica of an image-based service needs from the image side,
// in one call for the native backend: its root filesystem (an overlay of the
// image's layers with a private upper directory), what to run there (the
// image config merged with the service by Compose's rules, the user resolved
// against the image's own /etc/passwd and /etc/group), and its image volumes
// seeded from the image on first use.
import { containerConfig, type ContainerConfig } from '../../core/images/container-config.js';
import type { ServiceSpec } from '../../core/model/types.js';
import { readUserFiles, seedVolume } from './rootfs/image-files.js';
import { overlayMount, type OverlayMount } from './rootfs/overlay.js';
import { readServiceImage } from './store/service-image.js';
import type { ImageStore } from './store/image-store.js';

export interface ReplicaImageOptions {
  store: ImageStore;
  /** The image ID prepareStoreImages resolved for the service. */
  imageId: string;
  service: string;
  spec: ServiceSpec;
  /** The replica's own directory: the overlay's upper/, work/ and rootfs/ go here. */
  replicaDir: string;
  /** Names the replica's lease on the image, e.g. "<project>.<replica>". */
  leaseId: string;
  hostname: string;
  tty?: boolean;
  /** The host directory of the anonymous volume that backs an image VOLUME path. */
  volumeDirFor: (target: string) => string;
}

export interface ReplicaImage {
  rootfs: OverlayMount;
  /** The mounted root filesystem. */
  root: string;
  config: ContainerConfig;
}

export async function prepareReplicaImage(opts: ReplicaImageOptions): Promise<ReplicaImage> {
  const { record, image } = await readServiceImage(opts.store, opts.imageId, opts.service);
  const rootfs = overlayMount({ store: opts.store, image: record, dir: opts.replicaDir, leaseId: opts.leaseId });
  const { path: root } = await rootfs.prepare();
  try {
    const users = await readUserFiles(root);
    const config = containerConfig({ service: opts.service, spec: opts.spec, image: image.config, hostname: opts.hostname, ...users, ...(opts.tty && { tty: true }) });
    for (const target of config.imageVolumes) await seedVolume(root, target, opts.volumeDirFor(target));
    return { rootfs, root, config };
  } catch (err) {
    // A replica that cannot start leaves no mount behind.
    await rootfs.cleanup();
    throw err;
  }
}

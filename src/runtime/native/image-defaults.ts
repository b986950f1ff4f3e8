// What an image adds to a container replica's service before the engine sees
// it: its USER, STOPSIGNAL, HEALTHCHECK, EXPOSE, and each VOLUME as an
// anonymous volume (so the engine allocates it like any other, and the image
// root source seeds it from the image on first use), by Docker's rules: what
// the service writes wins. Read on the CLI side from the user's store, once per
// replica created; loaded only for container replicas of image services.
import { serviceWithImageDefaults } from '../../core/images/container-config.js';
import type { ServiceSpec } from '../../core/model/types.js';
import { readServiceImage } from '../images/store/service-image.js';
import { ImageStore } from '../images/store/image-store.js';

export async function withImageDefaults(home: string, service: string, spec: ServiceSpec, imageId: string): Promise<ServiceSpec> {
  const { image } = await readServiceImage(new ImageStore(home), imageId, service);
  return serviceWithImageDefaults(spec, image.config);
}

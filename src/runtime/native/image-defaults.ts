// What an image adds to a container replica's service before the engine sees
// it: its USER, STOPSIGNAL, HEALTHCHECK, EXPOSE, and each VOLUME as an
// anonymous volume (so the engine allocates it like any other, and the image
// root source seeds it from the image on first use), by Docker's rules: what
// the service writes wins. Read on the CLI side from the user's store, once per
// replica created; loaded only for container replicas of image services.
import { serviceWithImageDefaults } from '../../core/images/container-config.js';
import { parseImageConfig } from '../../core/images/image-config.js';
import { TugError } from '../../core/errors.js';
import type { ServiceSpec } from '../../core/model/types.js';
import { readBlob } from '../images/store/blobs.js';
import { ImageStore } from '../images/store/image-store.js';

export async function withImageDefaults(home: string, service: string, spec: ServiceSpec, imageId: string): Promise<ServiceSpec> {
  const store = new ImageStore(home);
  const record = await store.getImage(imageId);
  if (!record) throw new TugError({ code: 'image.not-found', message: `service "${service}": image ${imageId} is not in the image store`, hint: 'pull it again (tug pull), or load it (tug image load -i FILE)' });
  const image = parseImageConfig((await readBlob(store.layout, record.config.digest)).toString('utf8'), `image of service "${service}"`).config;
  return serviceWithImageDefaults(spec, image);
}

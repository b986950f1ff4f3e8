// A service's image read back from the store by its ID: the record and its
// parsed config, or the one error a user sees when it is gone (pruned, or
// another machine's state). What the engine roots a replica in, and what the
// CLI side takes the image's defaults from, read by the same code.
import { TugError } from '../../../core/errors.js';
import type { ImageConfig } from '../../../core/images/image-config.js';
import type { ImageRecord, ImageStore } from './image-store.js';
import { readImageConfig } from './config-blob.js';

export async function readServiceImage(store: ImageStore, imageId: string, service: string): Promise<{ record: ImageRecord; image: ImageConfig }> {
  const record = await store.getImage(imageId);
  if (!record) throw new TugError({ code: 'image.not-found', message: `service "${service}": image ${imageId} is not in the image store`, hint: 'pull it again (tug pull), or load it (tug image load -i FILE)' });
  const image = await readImageConfig(store.layout, record.config.digest, `image of service "${service}"`);
  return { record, image };
}

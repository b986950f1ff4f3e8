// An image's config read from its blob in the store and parsed, with the
// parse error naming what the image is to the user ("image of service web").
// Pull, load, commit and the service reader all need exactly this.
import { parseImageConfig, type ImageConfig } from '../../../core/images/image-config.js';
import { readBlob } from './blobs.js';
import type { StoreLayout } from './layout.js';

export async function readImageConfig(layout: StoreLayout, digest: string, what: string): Promise<ImageConfig> {
  return parseImageConfig((await readBlob(layout, digest)).toString('utf8'), what);
}

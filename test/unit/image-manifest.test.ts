import { describe, expect, it } from 'vitest';
import { TugError } from '../../src/core/errors.js';
import { MEDIA, layerCompression, parseManifest, type ImageIndex } from '../../src/core/images/manifest.js';
import { hostPlatform, parsePlatform, selectManifest } from '../../src/core/images/platform.js';

const d = (c: string) => `sha256:${c.repeat(64)}`;
const manifestBody = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: d('a'), size: 10 },
    layers: [{ mediaType: MEDIA.ociLayerGzip, digest: d('b'), size: 20 }],
    ...extra,
  });

function thrown(fn: () => unknown): TugError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TugError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('parseManifest', () => {
  it('reads an OCI manifest', () => {
    const m = parseManifest(manifestBody(), 'img', MEDIA.ociManifest);
    expect(m.kind).toBe('manifest');
    if (m.kind === 'manifest') expect(m.layers.map((l) => l.digest)).toEqual([d('b')]);
  });

  it('refuses schema 1 with a hint', () => {
    const e = thrown(() => parseManifest(JSON.stringify({ schemaVersion: 1, name: 'x', fsLayers: [] }), 'img'));
    expect(e.code).toBe('image.schema1');
    expect(e.message).toMatch(/schema 1/);
  });

  it('refuses a body whose mediaType disagrees with Content-Type', () => {
    expect(thrown(() => parseManifest(manifestBody(), 'img', MEDIA.dockerManifest)).message).toMatch(/served as/);
  });

  it('refuses bad digests, non-JSON and unknown types', () => {
    expect(thrown(() => parseManifest('{', 'img')).message).toMatch(/not JSON/);
    expect(thrown(() => parseManifest(manifestBody({ layers: [{ digest: 'sha256:1', size: 1 }] }), 'img')).message).toMatch(/layers\[0\] has no valid sha256/);
    expect(thrown(() => parseManifest(JSON.stringify({ schemaVersion: 2, mediaType: 'text/plain' }), 'img')).message).toMatch(/unsupported/);
  });

  it('knows layer compressions', () => {
    expect(layerCompression(MEDIA.ociLayerGzip)).toBe('gzip');
    expect(layerCompression(MEDIA.dockerLayerGzip)).toBe('gzip');
    expect(layerCompression(MEDIA.ociLayerZstd)).toBe('zstd');
    expect(layerCompression('application/vnd.docker.image.rootfs.diff.tar.zstd')).toBe('zstd');
    expect(layerCompression(MEDIA.ociLayer)).toBe('none');
    expect(layerCompression(MEDIA.dockerLayer)).toBe('none');
    expect(layerCompression('application/vnd.in-toto+json')).toBeUndefined();
  });
});

describe('platforms', () => {
  const index = (platforms: (Record<string, unknown> | undefined)[], annotations: (Record<string, string> | undefined)[] = []): ImageIndex => ({
    kind: 'index',
    mediaType: MEDIA.ociIndex,
    manifests: platforms.map((p, i) => ({ mediaType: MEDIA.ociManifest, digest: d(String(i)), size: 1, ...(p && { platform: p as never }), ...(annotations[i] && { annotations: annotations[i] }) })),
  });

  it('normalizes names as containerd does', () => {
    expect(parsePlatform('linux/x86_64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(parsePlatform('linux/aarch64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm64/v8')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(parsePlatform('linux/arm')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/armhf')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v7' });
    expect(parsePlatform('linux/armel')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(parsePlatform('arm64')).toEqual({ os: 'linux', architecture: 'arm64' });
    expect(hostPlatform('linux', 'x64')).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(hostPlatform('linux', 'arm', '6')).toEqual({ os: 'linux', architecture: 'arm', variant: 'v6' });
    expect(() => parsePlatform('linux//x')).toThrow(/invalid platform/);
  });

  it('takes the matching entry, skipping attestations', () => {
    const idx = index(
      [{ os: 'unknown', architecture: 'unknown' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }, { os: 'linux', architecture: 'amd64' }],
      [{ 'vnd.docker.reference.type': 'attestation-manifest' }],
    );
    expect(selectManifest(idx, { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(d('2'));
    expect(selectManifest(idx, { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe(d('1'));
  });

  it('falls back as containerd does: amd64 runs 386, arm64 runs arm/v7', () => {
    expect(selectManifest(index([{ os: 'linux', architecture: '386' }]), { os: 'linux', architecture: 'amd64' }, 'x').digest).toBe(d('0'));
    expect(selectManifest(index([{ os: 'linux', architecture: 'arm', variant: 'v6' }, { os: 'linux', architecture: 'arm', variant: 'v7' }]), { os: 'linux', architecture: 'arm64' }, 'x').digest).toBe(d('1'));
  });

  it('lists what is offered when nothing fits', () => {
    const e = thrown(() => selectManifest(index([{ os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 's390x' }, { os: 'unknown', architecture: 'unknown' }]), { os: 'linux', architecture: 'amd64' }, 'app:1'));
    expect(e.code).toBe('image.platform-missing');
    expect(e.message).toBe('image app:1 has no manifest for linux/amd64; it offers linux/arm64, linux/s390x');
  });
});

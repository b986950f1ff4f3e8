// Platforms (os/architecture/variant) and choosing an index entry for one, with
// containerd's normalization (x86_64 → amd64, aarch64 → arm64, arm64/v8 → arm64,
// arm → arm/v7) and its fallbacks (amd64 also runs 386; arm64 runs arm/v8…v5).
// Attestation entries (unknown/unknown) are never chosen.
import { TugError } from '../errors.js';
import { isAttestation, type Descriptor, type ImageIndex } from './manifest.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

const ARCH_ALIASES: Record<string, string> = { x86_64: 'amd64', 'x86-64': 'amd64', aarch64: 'arm64', i386: '386', i686: '386', armhf: 'arm', armel: 'arm' };

export function normalizePlatform(p: Platform): Platform {
  const os = p.os.toLowerCase();
  const raw = p.architecture.toLowerCase();
  const architecture = ARCH_ALIASES[raw] ?? raw;
  let variant = p.variant?.toLowerCase() || undefined;
  if (raw === 'armhf') variant = 'v7';
  if (raw === 'armel') variant = 'v6';
  if (architecture === 'arm64' && (variant === 'v8' || variant === '8')) variant = undefined;
  if (architecture === 'amd64' && variant === 'v1') variant = undefined;
  if (architecture === 'arm' && !variant) variant = 'v7';
  if (architecture === 'arm' && variant && /^\d$/.test(variant)) variant = `v${variant}`;
  const out: Platform = { os, architecture };
  if (variant) out.variant = variant;
  if (p['os.version']) out['os.version'] = p['os.version'];
  return out;
}

/** `linux/arm64/v8`, `linux/amd64`, `arm64` (os defaults to linux). */
export function parsePlatform(text: string): Platform {
  const parts = text.trim().split('/');
  if (parts.some((p) => p === '') || parts.length > 3) {
    throw new TugError({ code: 'image.platform-invalid', message: `invalid platform "${text}"`, hint: 'write os/architecture[/variant], e.g. linux/amd64 or linux/arm64/v8' });
  }
  if (parts.length === 1) return normalizePlatform({ os: 'linux', architecture: parts[0]! });
  return normalizePlatform({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] && { variant: parts[2] }) });
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The host's platform from Node's names (`process.platform`, `process.arch`, arm version). */
export function hostPlatform(nodePlatform: string, nodeArch: string, armVersion?: string): Platform {
  const arch = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64' }[nodeArch] ?? nodeArch;
  return normalizePlatform({ os: nodePlatform === 'win32' ? 'windows' : nodePlatform, architecture: arch, ...(arch === 'arm' && armVersion && { variant: `v${armVersion}` }) });
}

/** What a host can run, best first (containerd's `Only`). */
export function acceptedPlatforms(want: Platform): Platform[] {
  const p = normalizePlatform(want);
  const out: Platform[] = [p];
  if (p.architecture === 'amd64') out.push({ os: p.os, architecture: '386' });
  if (p.architecture === 'arm64') for (let v = 8; v >= 5; v--) out.push({ os: p.os, architecture: 'arm', variant: `v${v}` });
  if (p.architecture === 'arm' && p.variant) for (let v = Number(p.variant.slice(1)) - 1; v >= 5; v--) out.push({ os: p.os, architecture: 'arm', variant: `v${v}` });
  return out;
}

function same(a: Platform, b: Platform): boolean {
  return a.os === b.os && a.architecture === b.architecture && (a.variant ?? '') === (b.variant ?? '');
}

/** The index entry to pull for `want`; a TugError listing what the index offers when none fits. */
export function selectManifest(index: ImageIndex, want: Platform, image: string): Descriptor {
  const candidates = index.manifests.filter((d) => !isAttestation(d) && d.platform?.os && d.platform.architecture);
  for (const accepted of acceptedPlatforms(want)) {
    const hit = candidates.find((d) => same(normalizePlatform(d.platform!), accepted));
    if (hit) return hit;
  }
  // An index entry without a platform is taken only when nothing else is offered.
  const unlabelled = index.manifests.filter((d) => !isAttestation(d) && !d.platform);
  if (candidates.length === 0 && unlabelled.length === 1) return unlabelled[0]!;
  const offered = [...new Set(candidates.map((d) => formatPlatform(normalizePlatform(d.platform!))))];
  throw new TugError({
    code: 'image.platform-missing',
    message: `image ${image} has no manifest for ${formatPlatform(normalizePlatform(want))}; it offers ${offered.length > 0 ? offered.join(', ') : 'no platforms'}`,
    hint: 'set the service\'s platform: to one of those, or use an image built for this machine',
  });
}

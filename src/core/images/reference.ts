// Image references as Docker reads them (distribution/reference's grammar and
// its Docker normalization): `redis` is `docker.io/library/redis:latest`,
// `myreg/app` is a Docker Hub path (no dot, colon or "localhost" before the
// first slash), `reg:5000/app` names a host. A digest wins over a tag. The
// familiar form strips `docker.io/` and `library/` again for display.
import { TugError } from '../errors.js';

export interface ImageReference {
  /** Registry host with optional port, e.g. "docker.io", "127.0.0.1:5000". */
  domain: string;
  /** Repository path inside the registry, e.g. "library/redis". */
  path: string;
  /** Absent when a digest was given (the digest wins) . */
  tag?: string;
  digest?: string;
}

export const DOCKER_HUB = 'docker.io';
export const DEFAULT_TAG = 'latest';
const MAX_NAME_LENGTH = 255;

const alnum = '[a-z0-9]+';
const separator = '(?:[._]|__|-+)';
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|\\[[a-fA-F0-9:]+\\])`;
const domainRe = new RegExp(`^${host}(?::[0-9]+)?$`);
const pathRe = new RegExp(`^${pathComponent}(?:/${pathComponent})*$`);
const tagRe = /^[\w][\w.-]{0,127}$/;
const digestRe = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const bareHexRe = /^[a-f0-9]{64}$/;

/** Parses and normalizes `text` as `docker pull` would; throws a TugError saying what is wrong. */
export function parseReference(text: string): ImageReference {
  const fail = (why: string, hint?: string) =>
    new TugError({ code: 'image.reference-invalid', message: `invalid image reference "${text}": ${why}`, hint });
  if (text === '') throw fail('it is empty');
  if (bareHexRe.test(text)) throw fail('a 64-character hexadecimal string is an image ID, not a reference', `write name@sha256:${text} to pin a digest`);
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestRe.test(digest)) throw fail(`"${digest}" is not a digest`, 'a digest is sha256: followed by 64 hexadecimal digits');
    if (digest.startsWith('sha256:') && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
      throw fail(`"${digest}" is not a sha256 digest`, 'sha256: takes exactly 64 lowercase hexadecimal digits');
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagRe.test(tag)) throw fail(`"${tag}" is not a valid tag`, 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"');
  }
  const { domain, path } = splitDomain(rest);
  if (domain !== undefined && !domainRe.test(domain)) throw fail(`"${domain}" is not a registry host`);
  if (path.toLowerCase() !== path) throw fail(`the repository name "${path}" must be lowercase`);
  if (!pathRe.test(path)) {
    throw fail(
      `"${path}" is not a repository name`,
      'a name is lowercase letters and digits in parts separated by "/", joined inside a part by ".", "_", "__" or "-"',
    );
  }
  const normalizedDomain = domain === undefined || domain === 'index.docker.io' ? DOCKER_HUB : domain;
  const normalizedPath = normalizedDomain === DOCKER_HUB && !path.includes('/') ? `library/${path}` : path;
  if (`${normalizedDomain}/${normalizedPath}`.length > MAX_NAME_LENGTH) throw fail(`the name is longer than ${MAX_NAME_LENGTH} characters`);
  const ref: ImageReference = { domain: normalizedDomain, path: normalizedPath };
  if (digest) ref.digest = digest;
  else ref.tag = tag ?? DEFAULT_TAG;
  return ref;
}

/** Docker's rule: the part before the first "/" is a host only if it looks like one. */
function splitDomain(name: string): { domain?: string; path: string } {
  const slash = name.indexOf('/');
  if (slash < 0) return { path: name };
  const first = name.slice(0, slash);
  const looksLikeHost = first === 'localhost' || first.includes('.') || first.includes(':') || first.toLowerCase() !== first;
  return looksLikeHost ? { domain: first, path: name.slice(slash + 1) } : { path: name };
}

/** `docker.io/library/redis` (no tag or digest). */
export function repositoryName(ref: ImageReference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical full form: `docker.io/library/redis:latest`, `reg/app@sha256:…`. */
export function formatReference(ref: ImageReference): string {
  return `${repositoryName(ref)}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? DEFAULT_TAG}`}`;
}

/** The form people write and Docker prints: `redis:latest`, `myorg/app:1`, `ghcr.io/o/a@sha256:…`. */
export function familiarName(ref: ImageReference): string {
  if (ref.domain !== DOCKER_HUB) return repositoryName(ref);
  return ref.path.startsWith('library/') && ref.path.split('/').length === 2 ? ref.path.slice('library/'.length) : ref.path;
}

export function familiarReference(ref: ImageReference): string {
  return `${familiarName(ref)}${ref.digest ? `@${ref.digest}` : `:${ref.tag ?? DEFAULT_TAG}`}`;
}

// Which URLs serve a registry, and how it asks for credentials. docker.io is
// served by registry-1.docker.io, after any mirrors from TUG_REGISTRY_MIRRORS
// (Docker's registry-mirrors: Docker Hub only, in order). Plain HTTP is used
// only for loopback hosts (as Docker and containerd treat 127.0.0.0/8 and ::1)
// and hosts listed in TUG_INSECURE_REGISTRIES; everything else is HTTPS.
import { TugError } from '../errors.js';
import { DOCKER_HUB } from './reference.js';

export interface RegistryEndpoint {
  /** e.g. "https://registry-1.docker.io", "http://127.0.0.1:5000". */
  base: string;
  mirror: boolean;
}

export interface RegistryEnv {
  TUG_REGISTRY_MIRRORS?: string;
  TUG_INSECURE_REGISTRIES?: string;
}

export function isLoopbackHost(domain: string): boolean {
  const host = hostOnly(domain);
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** "[::1]:5000" → "::1", "reg:5000" → "reg". */
function hostOnly(domain: string): string {
  if (domain.startsWith('[')) return domain.slice(1, domain.indexOf(']'));
  return domain.replace(/:\d+$/, '').toLowerCase();
}

function listed(text: string | undefined): string[] {
  return (text ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export function isInsecureRegistry(domain: string, env: RegistryEnv): boolean {
  if (isLoopbackHost(domain)) return true;
  return listed(env.TUG_INSECURE_REGISTRIES).some((entry) => {
    const e = entry.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '').toLowerCase();
    return e === domain.toLowerCase() || e === hostOnly(domain);
  });
}

export function registryEndpoints(domain: string, env: RegistryEnv): RegistryEndpoint[] {
  if (domain === DOCKER_HUB) {
    const mirrors = listed(env.TUG_REGISTRY_MIRRORS).map((m) => {
      if (!/^https?:\/\/[^/]+/.test(m)) {
        throw new TugError({ code: 'image.mirror-invalid', message: `TUG_REGISTRY_MIRRORS entry "${m}" is not a URL`, hint: 'write full URLs separated by commas, e.g. https://mirror.example.com,http://127.0.0.1:5000' });
      }
      return { base: m.replace(/\/+$/, ''), mirror: true };
    });
    return [...mirrors, { base: 'https://registry-1.docker.io', mirror: false }];
  }
  return [{ base: `${isInsecureRegistry(domain, env) ? 'http' : 'https'}://${domain}`, mirror: false }];
}

export interface AuthChallenge {
  scheme: 'basic' | 'bearer' | string;
  params: Record<string, string>;
}

/** `Bearer realm="https://auth",service="reg",scope="repository:a:pull"`; several challenges may be comma-joined. */
export function parseChallenges(header: string | null | undefined): AuthChallenge[] {
  const out: AuthChallenge[] = [];
  const text = header ?? '';
  let i = 0;
  const skip = (re: RegExp) => {
    while (i < text.length && re.test(text[i]!)) i++;
  };
  const word = () => {
    const start = i;
    skip(/[\w.!#$%&'*+^`|~-]/);
    return text.slice(start, i);
  };
  while (i < text.length) {
    skip(/[\s,]/);
    const scheme = word();
    if (!scheme) break;
    const challenge: AuthChallenge = { scheme: scheme.toLowerCase(), params: {} };
    out.push(challenge);
    for (;;) {
      skip(/[\s,]/);
      const mark = i;
      const key = word();
      skip(/\s/);
      if (!key || text[i] !== '=') {
        i = mark; // the next challenge's scheme
        break;
      }
      i++;
      skip(/\s/);
      let value = '';
      if (text[i] === '"') {
        i++;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i++;
          value += text[i] ?? '';
          i++;
        }
        i++;
      } else {
        const start = i;
        skip(/[^,\s]/);
        value = text.slice(start, i);
      }
      challenge.params[key.toLowerCase()] = value;
    }
  }
  return out;
}

/** The key Docker stores credentials under: Hub uses its v1 index URL, others their host. */
export function credentialKeys(domain: string): string[] {
  if (domain === DOCKER_HUB) return ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
  return [domain];
}

/** `https://reg:5000/v1/` → `reg:5000` (docker/cli ConvertToHostname). */
export function credentialHost(key: string): string {
  return key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!;
}

// Credentials the way the docker CLI keeps them: $DOCKER_CONFIG/config.json
// (default ~/.docker), `credHelpers[host]` before `credsStore` before `auths`.
// A helper is the program `docker-credential-<suffix>`, run without a shell
// with the server URL on stdin; it prints {ServerURL, Username, Secret}, and
// the user name "<token>" means the secret is an identity token.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import { credentialHost, credentialKeys } from '../../../core/images/registry-hosts.js';

export interface RegistryCredentials {
  username?: string;
  password?: string;
  /** An OAuth2 refresh token (docker login with a token-issuing registry). */
  identityToken?: string;
}

interface DockerConfigFile {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
}

export function dockerConfigPath(env: Readonly<Record<string, string | undefined>>): string {
  return join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
}

export async function lookupCredentials(domain: string, env: Readonly<Record<string, string | undefined>>): Promise<RegistryCredentials | undefined> {
  const file = dockerConfigPath(env);
  let config: DockerConfigFile;
  try {
    config = JSON.parse(await readFile(file, 'utf8')) as DockerConfigFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TugError({ code: 'image.docker-config', message: `cannot read ${file}: ${(err as Error).message}`, hint: 'fix or remove the file' });
  }
  const keys = credentialKeys(domain);
  const helper = keys.map((k) => config.credHelpers?.[k]).find(Boolean) ?? config.credsStore;
  if (helper) {
    const fromHelper = await runHelper(helper, keys[0]!, env);
    if (fromHelper) return fromHelper;
  }
  const entries = Object.entries(config.auths ?? {});
  for (const key of keys) {
    const hit = entries.find(([k]) => k === key) ?? entries.find(([k]) => credentialHost(k) === credentialHost(key));
    if (hit) return fromAuthEntry(hit[1], file, hit[0]);
  }
  return undefined;
}

function fromAuthEntry(entry: NonNullable<DockerConfigFile['auths']>[string], file: string, key: string): RegistryCredentials | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken, ...(entry.username && { username: entry.username }) };
  if (entry.auth) {
    const text = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = text.indexOf(':');
    if (colon < 0) throw new TugError({ code: 'image.docker-config', message: `the "auth" for ${key} in ${file} is not base64 of user:password` });
    return { username: text.slice(0, colon), password: text.slice(colon + 1) };
  }
  if (entry.username) return { username: entry.username, password: entry.password ?? '' };
  return undefined;
}

/** `docker-credential-<name> get`; "credentials not found" is no credentials, not an error. */
function runHelper(name: string, serverUrl: string, env: Readonly<Record<string, string | undefined>>): Promise<RegistryCredentials | undefined> {
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) {
    return Promise.reject(new TugError({ code: 'image.docker-config', message: `credential helper name "${name}" is not a program name` }));
  }
  const program = `docker-credential-${name}`;
  return new Promise((resolve, reject) => {
    const child = spawn(program, ['get'], { stdio: ['pipe', 'pipe', 'pipe'], env: env as NodeJS.ProcessEnv });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(new TugError({ code: 'image.credential-helper', message: `cannot run credential helper ${program}: ${e.code === 'ENOENT' ? 'not found on PATH' : e.message}`, hint: 'install it, or remove it from ~/.docker/config.json' })),
    );
    child.on('close', (code) => {
      if (code !== 0) {
        if (/credentials not found/i.test(out + err)) return resolve(undefined);
        return reject(new TugError({ code: 'image.credential-helper', message: `credential helper ${program} failed: ${(err || out).trim() || `exit ${code}`}` }));
      }
      try {
        const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
        if (parsed.Username === '<token>') resolve({ identityToken: parsed.Secret ?? '' });
        else resolve({ username: parsed.Username ?? '', password: parsed.Secret ?? '' });
      } catch {
        reject(new TugError({ code: 'image.credential-helper', message: `credential helper ${program} printed something that is not JSON` }));
      }
    });
    child.stdin.end(serverUrl);
  });
}

import { describe, expect, it } from 'vitest';
import { credentialHost, parseChallenges, registryEndpoints } from '../../src/core/images/registry-hosts.js';

describe('registry endpoints', () => {
  it('uses plain HTTP only for loopback hosts and listed insecure registries', () => {
    expect(registryEndpoints('127.0.0.1:5000', {})).toEqual([{ base: 'http://127.0.0.1:5000', mirror: false }]);
    expect(registryEndpoints('localhost:5000', {})[0]!.base).toBe('http://localhost:5000');
    expect(registryEndpoints('[::1]:5000', {})[0]!.base).toBe('http://[::1]:5000');
    expect(registryEndpoints('127.evil.com', {})[0]!.base).toBe('https://127.evil.com');
    expect(registryEndpoints('reg.lan:5000', {})[0]!.base).toBe('https://reg.lan:5000');
    expect(registryEndpoints('reg.lan:5000', { TUG_INSECURE_REGISTRIES: 'other, reg.lan:5000' })[0]!.base).toBe('http://reg.lan:5000');
    expect(registryEndpoints('reg.lan', { TUG_INSECURE_REGISTRIES: 'http://reg.lan/' })[0]!.base).toBe('http://reg.lan');
  });

  it('serves docker.io from registry-1.docker.io after the mirrors, in order', () => {
    expect(registryEndpoints('docker.io', { TUG_REGISTRY_MIRRORS: 'https://m1.example/, http://127.0.0.1:6001' })).toEqual([
      { base: 'https://m1.example', mirror: true },
      { base: 'http://127.0.0.1:6001', mirror: true },
      { base: 'https://registry-1.docker.io', mirror: false },
    ]);
    expect(registryEndpoints('ghcr.io', { TUG_REGISTRY_MIRRORS: 'https://m1.example' })).toEqual([{ base: 'https://ghcr.io', mirror: false }]);
    expect(() => registryEndpoints('docker.io', { TUG_REGISTRY_MIRRORS: 'm1.example' })).toThrow(/not a URL/);
  });

  it('reads credential keys as docker/cli does', () => {
    expect(credentialHost('https://index.docker.io/v1/')).toBe('index.docker.io');
    expect(credentialHost('127.0.0.1:5056')).toBe('127.0.0.1:5056');
    expect(credentialHost('http://reg:5000/x')).toBe('reg:5000');
  });
});

describe('parseChallenges', () => {
  it('reads Bearer and Basic challenges', () => {
    expect(parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/redis:pull"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/redis:pull' } },
    ]);
    expect(parseChallenges('Basic realm="tug-test"')).toEqual([{ scheme: 'basic', params: { realm: 'tug-test' } }]);
    expect(parseChallenges('Bearer realm=http://x/token, error="insufficient_scope"')).toEqual([{ scheme: 'bearer', params: { realm: 'http://x/token', error: 'insufficient_scope' } }]);
    expect(parseChallenges('Basic realm="a", Bearer realm="b",service="s"')).toEqual([
      { scheme: 'basic', params: { realm: 'a' } },
      { scheme: 'bearer', params: { realm: 'b', service: 's' } },
    ]);
    expect(parseChallenges('Bearer realm="q\\"x"')[0]!.params.realm).toBe('q"x');
    expect(parseChallenges(undefined)).toEqual([]);
  });
});

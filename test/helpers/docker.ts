// Docker tests need a reachable engine: without one they skip with a printed
// reason, or fail when TUG_REQUIRE_DOCKER=1 (CI). The answer is computed once
// per test file, before its suites are collected (top-level await). Helpers
// here talk to the engine through dockerode, so no docker CLI is needed.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { describe } from 'vitest';
import { openConnection } from '../../src/runtime/docker/connection.js';
import { packBuffer } from '../../src/runtime/tar/pack.js';

/** The local image docker tests run: the host's busybox, imported (no registry needed). */
export const TEST_IMAGE = 'tug-test/busybox:latest';
const APPLETS = ['sh', 'sleep', 'echo', 'cat', 'ls', 'nc', 'wget', 'httpd', 'true', 'false', 'env', 'ps', 'kill', 'grep'];
const PROJECT_LABEL = 'com.docker.compose.project';

const connection = openConnection(process.env);
let answer: Promise<boolean> | undefined;

export function dockerAvailable(): Promise<boolean> {
  answer ??= connection.available();
  return answer;
}

const available = await dockerAvailable();
if (!available) {
  const reason = `no Docker Engine answers at ${connection.endpoint}`;
  if (process.env.TUG_REQUIRE_DOCKER === '1') throw new Error(`${reason}, and TUG_REQUIRE_DOCKER=1 requires one`);
  console.warn(`skipping docker tests: ${reason}`);
}

/** `describe` that runs only when an engine answers. */
export function describeDocker(name: string, fn: () => void): void {
  describe.skipIf(!available)(name, fn);
}

export function testDocker(): Promise<Dockerode> {
  return connection.ready();
}

/** Imports TEST_IMAGE from /bin/busybox when the engine does not have it yet. */
export async function ensureTestImage(): Promise<void> {
  const docker = await connection.ready();
  try {
    await docker.getImage(TEST_IMAGE).inspect();
    return;
  } catch {
    // missing: import it below
  }
  const now = Date.now() / 1000;
  const archive = await packBuffer([
    { name: 'bin/', type: 'directory', mode: 0o755, mtime: now },
    { name: 'bin/busybox', type: 'file', mode: 0o755, mtime: now, body: readFileSync('/bin/busybox') },
    ...APPLETS.map((a) => ({ name: `bin/${a}`, type: 'symlink' as const, mode: 0o777, mtime: now, linkname: 'busybox' })),
  ]);
  const [repo, tag] = TEST_IMAGE.split(':') as [string, string];
  const stream = (await docker.importImage(Readable.from([archive]) as unknown as NodeJS.ReadableStream, { repo, tag })) as NodeJS.ReadableStream;
  await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())));
}

let counter = 0;
/** A project name no other test (or test run) uses. */
export function uniqueDockerProject(prefix = 'tugd'): string {
  return `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${counter++}`;
}

/** Removes every container, network and volume labelled with the project (dockerode): the safety net after a test. */
export async function removeDockerProjectAsync(project: string): Promise<void> {
  const docker = await connection.ready();
  const filters = { label: [`${PROJECT_LABEL}=${project}`] };
  const ignore = () => undefined;
  const containers = await docker.listContainers({ all: true, filters });
  await Promise.all(containers.map((c) => docker.getContainer(c.Id).remove({ force: true, v: true }).catch(ignore)));
  const networks = await docker.listNetworks({ filters });
  await Promise.all(networks.map((n) => docker.getNetwork(n.Id).remove().catch(ignore)));
  const volumes = (await docker.listVolumes({ filters })).Volumes ?? [];
  await Promise.all(volumes.map((v) => docker.getVolume(v.Name).remove({ force: true }).catch(ignore)));
}

/** The same, synchronously through the docker CLI (for teardown code that cannot await); a missing CLI is a no-op. */
export function removeDockerProject(project: string): void {
  const label = `label=${PROJECT_LABEL}=${project}`;
  const lines = (args: string[]) => {
    const r = spawnSync('docker', args, { encoding: 'utf8', timeout: 60_000 });
    return r.status === 0 ? r.stdout.split('\n').filter((l) => l.trim() !== '') : [];
  };
  const ids = lines(['ps', '-aq', '--filter', label]);
  if (ids.length > 0) lines(['rm', '-fv', ...ids]);
  const networks = lines(['network', 'ls', '-q', '--filter', label]);
  if (networks.length > 0) lines(['network', 'rm', ...networks]);
  const volumes = lines(['volume', 'ls', '-q', '--filter', label]);
  if (volumes.length > 0) lines(['volume', 'rm', '-f', ...volumes]);
}

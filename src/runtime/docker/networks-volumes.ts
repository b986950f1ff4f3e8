// Project networks and volumes on the engine, labelled with the project and
// their Compose key so observe() and `down` find them without the file.
// External ones are never created or removed: they must exist already.
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import { LABEL } from '../../core/model/labels.js';
import type { NetworkSpec, VolumeSpec } from '../../core/model/types.js';
import { externalMissing } from './containers.js';
import { engineError, engineMessage, isConflict, isNotFound, statusOf } from './engine-errors.js';
import { sleep } from '../../timers.js';

type Raw = Record<string, unknown>;

export function networkCreateBody(project: string, key: string, name: string, spec: NetworkSpec): Raw {
  const body: Raw = {
    Name: name,
    CheckDuplicate: true,
    Labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.network]: key },
  };
  if (spec.driver) body.Driver = spec.driver;
  if (spec.driver_opts) body.Options = stringMap(spec.driver_opts);
  if (spec.internal === true) body.Internal = true;
  if (spec.attachable === true) body.Attachable = true;
  if (spec.enable_ipv6 === true) body.EnableIPv6 = true;
  if (spec.ipam) {
    const ipam: Raw = { Driver: spec.ipam.driver ?? 'default' };
    if (spec.ipam.config) ipam.Config = spec.ipam.config.map(ipamPool);
    if (spec.ipam.options) ipam.Options = stringMap(spec.ipam.options);
    body.IPAM = ipam;
  }
  return body;
}

function ipamPool(pool: Raw): Raw {
  const out: Raw = {};
  if (pool.subnet) out.Subnet = String(pool.subnet);
  if (pool.ip_range) out.IPRange = String(pool.ip_range);
  if (pool.gateway) out.Gateway = String(pool.gateway);
  if (pool.aux_addresses && typeof pool.aux_addresses === 'object') out.AuxiliaryAddresses = stringMap(pool.aux_addresses as Raw);
  return out;
}

function stringMap(map: Raw): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, String(v)]));
}

export async function createNetwork(docker: Dockerode, project: string, key: string, name: string, spec: NetworkSpec): Promise<void> {
  if (spec.external) return requireNetwork(docker, name);
  try {
    await docker.createNetwork(networkCreateBody(project, key, name, spec) as unknown as Dockerode.NetworkCreateOptions);
  } catch (err) {
    // Made meanwhile by a concurrent command, or left by an earlier tool: use it, as Compose does.
    if (isConflict(err) && /already exists/.test(engineMessage(err))) return;
    throw engineError(err, `create network ${name}`);
  }
}

export async function requireNetwork(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getNetwork(name).inspect();
  } catch (err) {
    if (isNotFound(err)) throw externalMissing('network', name);
    throw engineError(err, `inspect network ${name}`);
  }
}

export async function removeNetwork(docker: Dockerode, name: string): Promise<void> {
  // Right after its last container is removed, Engine 20.10 may still count a
  // stale endpoint on the network for a moment (seen under load); retry briefly
  // when nothing is attached, then report what holds it.
  for (let attempt = 0; ; attempt++) {
    try {
      await docker.getNetwork(name).remove();
      return;
    } catch (err) {
      if (isNotFound(err)) return;
      if (statusOf(err) !== 403 && !isConflict(err)) throw engineError(err, `remove network ${name}`);
      if (attempt < 4 && (await attachedContainers(docker, name)) === 0) {
        await sleep(100 * 2 ** attempt);
        continue;
      }
      throw new TugError({
        code: 'docker.network-in-use',
        message: `network ${name} is still in use: ${engineMessage(err)}`,
        hint: 'stop the containers attached to it (docker network inspect shows them)',
      });
    }
  }
}

async function attachedContainers(docker: Dockerode, name: string): Promise<number> {
  try {
    const info = await docker.getNetwork(name).inspect();
    return Object.keys((info as { Containers?: Record<string, unknown> }).Containers ?? {}).length;
  } catch {
    return 0;
  }
}

export async function createVolume(docker: Dockerode, project: string, key: string, name: string, spec: VolumeSpec): Promise<void> {
  if (spec.external) return requireVolume(docker, name);
  const body: Raw = {
    Name: name,
    Labels: { ...(spec.labels ?? {}), [LABEL.project]: project, [LABEL.volume]: key },
  };
  if (spec.driver) body.Driver = spec.driver;
  if (spec.driver_opts) body.DriverOpts = stringMap(spec.driver_opts);
  try {
    await docker.createVolume(body as unknown as Dockerode.VolumeCreateOptions);
  } catch (err) {
    throw engineError(err, `create volume ${name}`);
  }
}

export async function requireVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).inspect();
  } catch (err) {
    if (isNotFound(err)) throw externalMissing('volume', name);
    throw engineError(err, `inspect volume ${name}`);
  }
}

export async function removeVolume(docker: Dockerode, name: string): Promise<void> {
  try {
    await docker.getVolume(name).remove();
  } catch (err) {
    if (isNotFound(err)) return;
    if (isConflict(err)) {
      throw new TugError({
        code: 'docker.volume-in-use',
        message: `volume ${name} is still in use: ${engineMessage(err)}`,
        hint: 'remove the containers that use it first',
      });
    }
    throw engineError(err, `remove volume ${name}`);
  }
}

// The project-level image verbs on the Docker Engine: `tug pull` (one pull per
// image the services share), `tug images` (what the engine has for each
// service's image name), `down --rmi` (removing names: the engine deletes an
// image once no name and no container uses it) and `ps --size` (SizeRw).
import type Dockerode from 'dockerode';
import { TugError } from '../../core/errors.js';
import { pullableServices } from '../../core/images/pull-policy.js';
import { pushTo } from '../../core/multimap.js';
import { LABEL } from '../../core/model/labels.js';
import type { Project } from '../../core/model/types.js';
import type { ImagePreparation, ImagePullResult, ImageRemoval, ProjectImage } from '../backend.js';
import { engineError, isNotFound } from './engine-errors.js';
import { imageId, pullImage } from './images.js';
import { imageName } from './to-create-options.js';

export async function pullServiceImages(docker: Dockerode, project: Project, services: string[], opts: Pick<ImagePreparation, 'onProgress' | 'signal'>): Promise<ImagePullResult> {
  const byImage = new Map<string, string[]>();
  for (const service of pullableServices(project, services)) pushTo(byImage, (project.services[service] ?? project.disabledServices[service])!.image!, service);
  const result: ImagePullResult = { ids: {}, failures: {} };
  for (const [image, names] of byImage) {
    try {
      await pullImage(docker, image, (p) => opts.onProgress?.({ service: names.join(','), image, ...p }), opts.signal);
      const id = await imageId(docker, image);
      if (id) for (const n of names) result.ids[n] = id;
    } catch (err) {
      const e = err instanceof TugError ? err : new TugError({ code: 'docker.pull-failed', message: (err as Error).message });
      for (const n of names) result.failures[n] = new TugError({ ...e.toInit(), message: `service "${n}": ${e.message}` });
    }
  }
  return result;
}

export async function listServiceImages(docker: Dockerode, project: Project, services: string[]): Promise<ProjectImage[]> {
  const rows: ProjectImage[] = [];
  for (const service of services) {
    const svc = project.services[service] ?? project.disabledServices[service];
    if (!svc) continue;
    const name = imageName(project.name, service, svc);
    let info: Dockerode.ImageInspectInfo;
    try {
      info = await docker.getImage(name).inspect();
    } catch (err) {
      if (isNotFound(err)) continue;
      throw engineError(err, `inspect image ${name}`);
    }
    const [repository, tag] = splitName(name);
    const variant = (info as { Variant?: string }).Variant;
    rows.push({ service, repository, tag, id: info.Id, size: info.Size, platform: [info.Os, info.Architecture, variant].filter(Boolean).join('/') });
  }
  return rows;
}

export async function removeImages(docker: Dockerode, names: readonly string[]): Promise<ImageRemoval[]> {
  const out: ImageRemoval[] = [];
  for (const name of names) {
    try {
      await docker.getImage(name).remove();
      out.push({ name, outcome: 'removed' });
    } catch (err) {
      const status = (err as { statusCode?: number }).statusCode;
      if (status === 404) out.push({ name, outcome: 'missing' });
      else if (status === 409) out.push({ name, outcome: 'kept', reason: (err as { json?: { message?: string } }).json?.message ?? 'it is in use' });
      else throw engineError(err, `remove image ${name}`);
    }
  }
  return out;
}

/** SizeRw per container ID (the engine computes it on request: a walk of each container's writable layer). */
export async function containerSizes(docker: Dockerode, project: string, ids: readonly string[]): Promise<Record<string, number | undefined>> {
  const list = await docker.listContainers({ all: true, size: true, filters: { label: [`${LABEL.project}=${project}`] } });
  const out: Record<string, number | undefined> = {};
  for (const id of ids) {
    const found = list.find((c) => c.Id === id || c.Id.startsWith(id)) as { SizeRw?: number } | undefined;
    // The engine leaves SizeRw out when it is 0.
    if (found) out[id] = found.SizeRw ?? 0;
  }
  return out;
}

function splitName(name: string): [string, string] {
  if (name.includes('@')) return [name.split('@')[0]!, '<none>'];
  const colon = name.lastIndexOf(':');
  return colon > name.lastIndexOf('/') ? [name.slice(0, colon), name.slice(colon + 1)] : [name, 'latest'];
}

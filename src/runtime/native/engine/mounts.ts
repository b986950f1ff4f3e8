// Volumes in process mode. A host process cannot have a directory mounted at
// `target`, so each mount becomes a host directory whose path the replica gets
// in an environment variable:
//   TUG_VOLUME_<KEY>   KEY = the volume's Compose key for named volumes (what
//                      the file calls it), the target path for binds,
//                      anonymous volumes and tmpfs (they have no key);
//                      upper-cased, non-alphanumerics → "_".
// Volumes live in $TUG_HOME/volumes/<name>/data: named ones under their
// engine name (shared by name, and they must exist: `up` creates the declared
// ones, external ones are the user's), anonymous ones under the name the engine
// gave them for this replica. tmpfs stand-ins live in projects/<p>/anon/<replica>/
// and go with the replica. read_only cannot be enforced and is ignored.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { TugError } from '../../../core/errors.js';
import type { ReplicaSpec } from '../../../core/reconcile/operations.js';
import { projectPaths, volumeDataDir } from '../home.js';

export interface MountPlan {
  env: Record<string, string>;
  /** Directories created (if missing) before each start. */
  ensureDirs: string[];
  /** Directories emptied before each start (tmpfs is fresh every time). */
  freshDirs: string[];
}

export function volumeEnvName(key: string): string {
  const trimmed = key.replace(/^\/+|\/+$/g, '');
  return `TUG_VOLUME_${(trimmed || 'ROOT').toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
}

/** Where a replica's tmpfs stand-ins live; removed with it. */
export function anonDir(home: string, project: string, replica: string): string {
  return join(projectPaths(home, project).dir, 'anon', replica);
}

function targetDirName(target: string): string {
  return target.replace(/^\/+/, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
}

/** `anonymous`: the replica's anonymous volume names by target (the engine's record). */
export function planMounts(spec: ReplicaSpec, home: string, anonymous: Readonly<Record<string, string>>): MountPlan {
  const plan: MountPlan = { env: {}, ensureDirs: [], freshDirs: [] };
  const anon = anonDir(home, spec.project, spec.name);
  for (const mount of spec.service_spec.volumes ?? []) {
    switch (mount.type) {
      case 'volume': {
        if (mount.source) {
          const dir = volumeDataDir(home, spec.volumeNames[mount.source] ?? mount.source);
          // Never made here: a missing external volume is the user's to create, as with Compose.
          if (!existsSync(dir)) throw missingVolume(spec, spec.volumeNames[mount.source] ?? mount.source);
          plan.env[volumeEnvName(mount.source)] = dir;
        } else {
          const name = anonymous[mount.target];
          if (name === undefined) throw new Error(`replica ${spec.name} has no anonymous volume for ${mount.target}`); // an engine bug
          const dir = volumeDataDir(home, name);
          plan.env[volumeEnvName(mount.target)] = dir;
          plan.ensureDirs.push(dir);
        }
        break;
      }
      case 'bind': {
        const source = mount.source ?? '';
        if (!existsSync(source)) {
          if (mount.bind?.create_host_path !== true) {
            throw new TugError({
              code: 'engine.bind-source',
              message: `service ${spec.service}: bind source ${source} does not exist`,
              hint: 'create it, or use the short syntax ("./dir:/target"), which creates a missing directory',
            });
          }
          plan.ensureDirs.push(source);
        }
        plan.env[volumeEnvName(mount.target)] = source;
        break;
      }
      case 'tmpfs': {
        const dir = join(anon, `tmpfs-${targetDirName(mount.target)}`);
        plan.env[volumeEnvName(mount.target)] = dir;
        plan.freshDirs.push(dir);
        break;
      }
      default:
        throw new TugError({
          code: 'engine.mount-type',
          message: `service ${spec.service}: volume type "${mount.type}" is not supported by the native runtime`,
        });
    }
  }
  return plan;
}

function missingVolume(spec: ReplicaSpec, name: string): TugError {
  return new TugError({
    code: 'engine.volume-missing',
    message: `service ${spec.service}: volume ${name} does not exist`,
    hint: 'an external volume must be created before `up`; the others are created by `up`',
  });
}

/** A bind source that appeared as a file where a directory was wanted, etc. */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

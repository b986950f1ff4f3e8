// The init of `init: true`: a static tini, bind-mounted read-only into the
// container as Docker's --init does. It must be static because an image's root
// filesystem need not contain the host's libc. Docker mounts it at
// /sbin/docker-init; tug mounts it on the container's own /dev tmpfs, because
// /sbin of a host-root replica is the host's read-only /usr/sbin, where no
// mount point can be created.
import type { ToolFact } from './capability-report.js';
import { isExecutableFile } from './executables.js';

/** Debian's `tini` ships tini-static; docker.io links /usr/bin/docker-init to it. */
const CANDIDATES = ['/usr/bin/tini-static', '/usr/local/bin/tini-static', '/usr/bin/docker-init', '/usr/libexec/docker/docker-init'];

/** Where the init appears inside the container. */
export const INIT_TARGET = '/dev/init';

export function findInit(): ToolFact | undefined {
  for (const path of CANDIDATES) if (isExecutableFile(path)) return { path };
  return undefined;
}

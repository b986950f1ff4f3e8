// Which cgroup layout this machine has, from the text of /proc/self/mountinfo:
// v2 (one unified hierarchy), v1 (one hierarchy per controller) or hybrid (v1
// hierarchies plus a cgroup2 mount, usually /sys/fs/cgroup/unified, as on the
// machines tug is tested on). Pure: the caller reads the file.
import type { CgroupLayout } from '../capability-report.js';

export interface CgroupMounts {
  layout: CgroupLayout;
  /** v1 controller (or "name=systemd") → its mount point. Co-mounted ones ("cpu,cpuacct") appear once per controller. */
  v1: Record<string, string>;
  /** The cgroup2 mount point, if any. */
  v2?: string;
}

/** mountinfo escapes space, tab, newline and backslash as octal (\040 ...). */
function unescape(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_, oct: string) => String.fromCharCode(parseInt(oct, 8)));
}

export function parseCgroupMounts(mountinfo: string): CgroupMounts {
  const v1: Record<string, string> = {};
  let v2: string | undefined;
  for (const line of mountinfo.split('\n')) {
    // "<id> <parent> <maj:min> <root> <mount point> <opts> [optional...] - <fstype> <source> <super opts>"
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const [fstype, , superOpts = ''] = line.slice(sep + 3).split(' ');
    const mountPoint = left[4] === undefined ? undefined : unescape(left[4]);
    if (!mountPoint) continue;
    if (fstype === 'cgroup2') {
      // The first one wins: a container runtime's later bind of it is a duplicate.
      v2 ??= mountPoint;
    } else if (fstype === 'cgroup') {
      for (const opt of superOpts.split(',')) {
        if (V1_OPTIONS.has(opt) || (opt.includes('=') && !opt.startsWith('name='))) continue;
        v1[opt] ??= mountPoint;
      }
    }
  }
  const hasV1 = Object.keys(v1).some((c) => !c.startsWith('name='));
  const layout: CgroupLayout = hasV1 ? (v2 ? 'hybrid' : 'v1') : v2 ? 'v2' : 'none';
  const out: CgroupMounts = { layout, v1 };
  if (v2) out.v2 = v2;
  return out;
}

/** Super-block options of a v1 cgroup mount that are not controller names. */
const V1_OPTIONS = new Set(['rw', 'ro', 'relatime', 'noatime', 'nosuid', 'nodev', 'noexec', 'xattr', 'clone_children', 'noprefix', 'cpuset_v2_mode']);

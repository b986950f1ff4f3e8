// `user:` ("name", "uid", "name:group", "uid:gid", the mixed forms) and
// `group_add:` resolved to numeric ids against a passwd and a group file,
// given as text: the image's or the replica's root filesystem for a
// container, the host's for a native process replica. The rules are
// Docker's (runc's GetExecUser and the daemon's group_add, IMAGE-FACTS §4):
//  - no user, or an empty user part, is root (uid 0), as passwd lists it;
//  - a name missing from the file is an error; a number is accepted even
//    when no entry has it, with gid 0 unless a group is given;
//  - without a group, the user's primary gid plus the groups that list the
//    user as a member; with a group, that group alone;
//  - group_add (names or numbers) adds supplementary groups in every case.
// The same file parsing serves COPY --chown (core/build/chown.ts).
import { TugError, type PathSegment } from '../errors.js';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export interface UserFiles {
  passwd?: string;
  group?: string;
}

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, ascending, without `gid` itself. */
  additionalGids: number[];
  /** From passwd; "/" when the user is not listed there. */
  home: string;
  /** The passwd entry's name, when the user is listed there. */
  name?: string;
}

export interface ResolveUserOptions {
  groupAdd?: readonly string[];
  /** For messages: the service, so an error points at services.<name>.user. */
  service?: string;
  /** What to do about an unknown name, in the caller's terms. */
  hint?: string;
}

const MAX_ID = 0xffffffff;

export function isNumericId(text: string): boolean {
  return /^\d+$/.test(text) && Number(text) <= MAX_ID;
}

function fields(text: string | undefined): string[][] {
  if (text === undefined) return [];
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

export function parsePasswd(text: string | undefined): PasswdEntry[] {
  return fields(text).flatMap((f) =>
    f.length >= 4 && f[0] !== '' && isNumericId(f[2]!) && isNumericId(f[3]!) ? [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }] : [],
  );
}

export function parseGroup(text: string | undefined): GroupEntry[] {
  return fields(text).flatMap((f) =>
    f.length >= 3 && f[0] !== '' && isNumericId(f[2]!) ? [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }] : [],
  );
}

/** A group by name or number: its gid; a number in no entry is still that gid; an unknown name is undefined. */
function gidOf(text: string, groups: readonly GroupEntry[]): number | undefined {
  if (isNumericId(text)) return Number(text);
  return groups.find((g) => g.name === text)?.gid;
}

function notFound(kind: 'user' | 'group', name: string, opts: ResolveUserOptions, field: 'user' | 'group_add'): TugError {
  const file = kind === 'user' ? 'passwd' : 'group';
  const path: PathSegment[] | undefined = opts.service === undefined ? undefined : ['services', opts.service, field];
  return new TugError({
    code: kind === 'user' ? 'user.unknown' : 'user.unknown-group',
    message: `${opts.service === undefined ? '' : `service ${opts.service}: `}unable to find ${kind} ${name}: no matching entries in ${file} file`,
    ...(path && { path }),
    hint: opts.hint ?? `use a ${kind} the ${file} file lists, or numeric ids ("1000:1000")`,
  });
}

export function resolveUser(user: string | undefined, files: UserFiles, opts: ResolveUserOptions = {}): ResolvedUser {
  const passwd = parsePasswd(files.passwd);
  const groups = parseGroup(files.group);
  const text = (user ?? '').trim();
  const colon = text.indexOf(':');
  const userPart = colon >= 0 ? text.slice(0, colon) : text;
  const groupPart = colon >= 0 ? text.slice(colon + 1) : '';
  let entry: PasswdEntry | undefined;
  let uid: number;
  if (userPart === '' || isNumericId(userPart)) {
    uid = userPart === '' ? 0 : Number(userPart);
    entry = passwd.find((p) => p.uid === uid);
  } else {
    entry = passwd.find((p) => p.name === userPart);
    // An image without a passwd file (FROM scratch) still runs as "root".
    if (!entry && userPart === 'root') entry = { name: 'root', uid: 0, gid: 0, home: '/root' };
    if (!entry) throw notFound('user', userPart, opts, 'user');
    uid = entry.uid;
  }
  let gid = entry?.gid ?? 0;
  const extra = new Set<number>();
  if (groupPart !== '') {
    const named = gidOf(groupPart, groups);
    if (named === undefined) throw notFound('group', groupPart, opts, 'user');
    gid = named;
  } else if (entry) {
    for (const g of groups) if (g.members.includes(entry.name)) extra.add(g.gid);
  }
  for (const added of opts.groupAdd ?? []) {
    const id = gidOf(String(added), groups);
    if (id === undefined) throw notFound('group', String(added), opts, 'group_add');
    extra.add(id);
  }
  extra.delete(gid);
  return {
    uid,
    gid,
    additionalGids: [...extra].sort((a, b) => a - b),
    home: entry?.home ?? '/',
    ...(entry && { name: entry.name }),
  };
}

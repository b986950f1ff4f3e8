// Resolving a container's `user:` against the image's own /etc/passwd and
// /etc/group (given as text), as runc does for Docker: `user`, `uid`,
// `user:group`, `uid:gid` and the mixed forms. Without a group the user's
// primary gid plus the groups listing them as a member; with a group, that
// group only. A number in no file is accepted (gid 0 when only a uid is
// given); a name in no file is an error.
import { TugError } from '../errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** Supplementary groups, the primary gid included. */
  groups: number[];
  /** From passwd; "/" when the user is not in it. */
  home: string;
  name?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

export function parsePasswd(text: string): PasswdEntry[] {
  return lines(text).flatMap((f) => (f.length >= 4 && isId(f[2]!) && isId(f[3]!) ? [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5] || '/' }] : []));
}

export function parseGroup(text: string): GroupEntry[] {
  return lines(text).flatMap((f) => (f.length >= 3 && isId(f[2]!) ? [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }] : []));
}

function lines(text: string): string[][] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => l.split(':'));
}

const isId = (s: string) => /^\d+$/.test(s) && Number(s) <= 0xffffffff;

export function resolveUser(spec: string | undefined, passwdText: string | undefined, groupText: string | undefined): ResolvedUser {
  const passwd = parsePasswd(passwdText ?? '');
  const group = parseGroup(groupText ?? '');
  const text = (spec ?? '').trim() || 'root';
  const colon = text.indexOf(':');
  const userPart = colon >= 0 ? text.slice(0, colon) : text;
  const groupPart = colon >= 0 ? text.slice(colon + 1) : undefined;
  let entry = isId(userPart) ? passwd.find((p) => p.uid === Number(userPart)) : passwd.find((p) => p.name === userPart);
  if (!entry && !isId(userPart)) {
    if (userPart === 'root') entry = { name: 'root', uid: 0, gid: 0, home: '/root' };
    else throw new TugError({ code: 'image.user-unknown', message: `unable to find user ${userPart}: no matching entries in passwd file`, hint: 'use a user the image defines, or numeric uid:gid' });
  }
  const uid = entry ? entry.uid : Number(userPart);
  const home = entry?.home ?? '/';
  if (groupPart !== undefined && groupPart !== '') {
    const g = isId(groupPart) ? group.find((x) => x.gid === Number(groupPart)) : group.find((x) => x.name === groupPart);
    if (!g && !isId(groupPart)) throw new TugError({ code: 'image.group-unknown', message: `unable to find group ${groupPart}: no matching entries in group file`, hint: 'use a group the image defines, or a numeric gid' });
    const gid = g ? g.gid : Number(groupPart);
    return { uid, gid, groups: [gid], home, ...(entry && { name: entry.name }) };
  }
  const gid = entry ? entry.gid : 0;
  const member = entry ? group.filter((g) => g.members.includes(entry!.name)).map((g) => g.gid) : [];
  return { uid, gid, groups: [...new Set([gid, ...member])], home, ...(entry && { name: entry.name }) };
}

// Resolves a Compose `user:` ("name", "uid", "name:group", "uid:gid") to numeric
// ids the way Docker does inside a container, against the host's /etc/passwd and
// /etc/group: a known user brings its primary group and home; an unknown numeric
// uid runs with gid 0; an unknown name is an error. Parsing is pure (texts in).
import { TugError } from '../../../core/errors.js';

export interface ResolvedUser {
  uid: number;
  gid: number;
  /** From passwd, when the user is listed there. */
  home?: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string): PasswdEntry[] {
  const entries: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const f = line.split(':');
    if (f.length < 7) continue;
    entries.push({ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! });
  }
  return entries;
}

function parseGroups(text: string): Map<string, number> {
  const groups = new Map<string, number>();
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 3 && !line.startsWith('#')) groups.set(f[0]!, Number(f[2]));
  }
  return groups;
}

const NUMERIC = /^\d+$/;

function userError(user: string, why: string): TugError {
  return new TugError({
    code: 'engine.user',
    message: `cannot run as user ${JSON.stringify(user)}: ${why}`,
    hint: 'the native runtime runs host processes: name a user from /etc/passwd or give numeric ids ("1000:1000")',
  });
}

export function resolveUser(user: string, passwdText: string, groupText: string): ResolvedUser {
  const [userPart = '', groupPart] = user.split(':', 2);
  if (userPart === '') throw userError(user, 'the user part is empty');
  const passwd = parsePasswd(passwdText);
  const entry = NUMERIC.test(userPart)
    ? passwd.find((e) => e.uid === Number(userPart))
    : passwd.find((e) => e.name === userPart);
  if (!entry && !NUMERIC.test(userPart)) throw userError(user, `no user named ${JSON.stringify(userPart)} in /etc/passwd`);
  const uid = entry ? entry.uid : Number(userPart);
  let gid = entry ? entry.gid : 0;
  if (groupPart !== undefined && groupPart !== '') {
    if (NUMERIC.test(groupPart)) gid = Number(groupPart);
    else {
      const named = parseGroups(groupText).get(groupPart);
      if (named === undefined) throw userError(user, `no group named ${JSON.stringify(groupPart)} in /etc/group`);
      gid = named;
    }
  }
  return entry ? { uid, gid, home: entry.home } : { uid, gid };
}

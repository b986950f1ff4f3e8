// `user:` resolved inside the container's own root filesystem, as Docker does:
// names from its /etc/passwd and /etc/group, the user's supplementary groups,
// and `group_add` (names or ids). Pure: the file texts come in.
import { TugError } from '../../../core/errors.js';

export interface ContainerUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home?: string;
}

interface Account {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

const NUMERIC = /^\d+$/;

function accounts(passwd: string): Account[] {
  return passwd.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (line.startsWith('#') || f.length < 7 || !NUMERIC.test(f[2]!) || !NUMERIC.test(f[3]!)) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }];
  });
}

function groups(group: string): { name: string; gid: number; members: string[] }[] {
  return group.split('\n').flatMap((line) => {
    const f = line.split(':');
    if (line.startsWith('#') || f.length < 3 || !NUMERIC.test(f[2]!)) return [];
    return [{ name: f[0]!, gid: Number(f[2]), members: (f[3] ?? '').split(',').filter(Boolean) }];
  });
}

function userError(service: string, field: string, message: string): TugError {
  return new TugError({
    code: 'container.user',
    message: `service ${service}: ${message}`,
    path: ['services', service, field],
    hint: 'name a user or group of the replica\'s own /etc/passwd and /etc/group, or give numeric ids ("1000:1000")',
  });
}

export function resolveContainerUser(service: string, user: string | undefined, groupAdd: readonly string[], passwd: string, group: string): ContainerUser {
  const users = accounts(passwd);
  const known = groups(group);
  const [userPart = '', groupPart] = (user ?? '').split(':', 2);
  let account: Account | undefined;
  let uid = 0;
  if (userPart !== '') {
    account = NUMERIC.test(userPart) ? users.find((a) => a.uid === Number(userPart)) : users.find((a) => a.name === userPart);
    if (!account && !NUMERIC.test(userPart)) throw userError(service, 'user', `no user ${JSON.stringify(userPart)} in the replica's /etc/passwd`);
    uid = account ? account.uid : Number(userPart);
  } else account = users.find((a) => a.uid === 0);
  let gid = account?.gid ?? 0;
  if (groupPart !== undefined && groupPart !== '') {
    const named = NUMERIC.test(groupPart) ? Number(groupPart) : known.find((g) => g.name === groupPart)?.gid;
    if (named === undefined) throw userError(service, 'user', `no group ${JSON.stringify(groupPart)} in the replica's /etc/group`);
    gid = named;
  }
  const extra = new Set<number>();
  // Supplementary groups come with a named account, unless a group was given explicitly.
  if (account && groupPart === undefined) for (const g of known) if (g.members.includes(account.name) && g.gid !== gid) extra.add(g.gid);
  for (const entry of groupAdd) {
    const id = NUMERIC.test(entry) ? Number(entry) : known.find((g) => g.name === entry)?.gid;
    if (id === undefined) throw userError(service, 'group_add', `no group ${JSON.stringify(entry)} in the replica's /etc/group`);
    if (id !== gid) extra.add(id);
  }
  const out: ContainerUser = { uid, gid, additionalGids: [...extra].sort((a, b) => a - b) };
  if (account) out.home = account.home;
  return out;
}

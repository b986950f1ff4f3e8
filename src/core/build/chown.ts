// `COPY --chown=user[:group]` and `ADD --chown` as numeric ids, names looked up
// in the image's own /etc/passwd and /etc/group (their texts are passed in).
// As with Docker: a user alone also names the group (a uid alone gives gid = uid);
// a name missing from the files is an error, not a silent 0.
import { TugError, type SourceLocation } from '../errors.js';

export interface Owner {
  uid: number;
  gid: number;
}

interface Entry {
  name: string;
  id: number;
  gid?: number;
}

/** Entries of an /etc/passwd or /etc/group text (name:x:id[:gid:...]). */
function entries(text: string | undefined, withGid: boolean): Entry[] {
  if (text === undefined) return [];
  return text.split('\n').flatMap((line) => {
    const f = line.trim().split(':');
    if (f.length < 3 || f[0] === '' || line.trim().startsWith('#') || !/^\d+$/.test(f[2]!)) return [];
    return [{ name: f[0]!, id: Number(f[2]), ...(withGid && /^\d+$/.test(f[3] ?? '') ? { gid: Number(f[3]) } : {}) }];
  });
}

export function resolveChown(spec: string, files: { passwd?: string; group?: string }, location: SourceLocation): Owner {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new TugError({ code: 'build.chown', message: `--chown=${spec}: expected user, uid, user:group or uid:gid`, location });
  }
  const [userPart, groupPart] = parts as [string, string | undefined];
  const users = entries(files.passwd, true);
  let uid: number;
  let primary: number | undefined;
  if (/^\d+$/.test(userPart)) uid = Number(userPart);
  else {
    const found = users.find((u) => u.name === userPart);
    if (!found) throw missing('user', userPart, 'passwd', location);
    uid = found.id;
    primary = found.gid;
  }
  const groupSpec = groupPart ?? userPart;
  if (/^\d+$/.test(groupSpec)) return { uid, gid: groupPart === undefined ? uid : Number(groupSpec) };
  const group = entries(files.group, false).find((g) => g.name === groupSpec);
  if (group) return { uid, gid: group.id };
  // A user alone whose name is no group name: the user's primary group.
  if (groupPart === undefined && primary !== undefined) return { uid, gid: primary };
  throw missing('group', groupSpec, 'group', location);
}

function missing(what: string, name: string, file: string, location: SourceLocation): TugError {
  return new TugError({
    code: 'build.chown',
    message: `--chown: unable to find ${what} ${name}: no matching entries in the image's /etc/${file}`,
    location,
    hint: `create the ${what} in an earlier RUN, or give numeric ids (--chown=1000:1000)`,
  });
}

// `COPY --chown=user[:group]` and `ADD --chown` as numeric ids, names looked up
// in the image's own /etc/passwd and /etc/group (their texts are passed in).
// As with Docker: a user alone also names the group (a uid alone gives gid = uid);
// a name missing from the files is an error, not a silent 0.
import { TugError, type SourceLocation } from '../errors.js';
import { isNumericId, parseGroup, parsePasswd } from '../model/user.js';

export interface Owner {
  uid: number;
  gid: number;
}

export function resolveChown(spec: string, files: { passwd?: string; group?: string }, location: SourceLocation): Owner {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new TugError({ code: 'build.chown', message: `--chown=${spec}: expected user, uid, user:group or uid:gid`, location });
  }
  const [userPart, groupPart] = parts as [string, string | undefined];
  let uid: number;
  let primary: number | undefined;
  if (isNumericId(userPart)) uid = Number(userPart);
  else {
    const found = parsePasswd(files.passwd).find((u) => u.name === userPart);
    if (!found) throw missing('user', userPart, 'passwd', location);
    uid = found.uid;
    primary = found.gid;
  }
  const groupSpec = groupPart ?? userPart;
  if (isNumericId(groupSpec)) return { uid, gid: groupPart === undefined ? uid : Number(groupSpec) };
  const group = parseGroup(files.group).find((g) => g.name === groupSpec);
  if (group) return { uid, gid: group.gid };
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

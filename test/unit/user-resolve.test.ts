import { describe, expect, it } from 'vitest';
import { parseGroup, parsePasswd, resolveUser } from '../../src/core/model/user.js';
import { resolveChown } from '../../src/core/build/chown.js';

const PASSWD = [
  'root:x:0:0:root:/root:/bin/sh',
  'app:x:1000:1000:App:/home/app:/bin/sh',
  'short:x:1001:1001',
  '# comment',
  'broken line',
  'bad:x:notanumber:0::/:/bin/sh',
].join('\n');
const GROUP = ['root:x:0:', 'staff:x:50:app,other', 'app:x:1000:', 'wheel:x:10:root', 'video:x:44:app'].join('\n');
const files = { passwd: PASSWD, group: GROUP };

describe('resolveUser: every form of user:, by Docker\'s rules', () => {
  it('a name or a uid brings the primary group, the member groups and the home', () => {
    const app = { uid: 1000, gid: 1000, additionalGids: [44, 50], home: '/home/app', name: 'app' };
    expect(resolveUser('app', files)).toEqual(app);
    expect(resolveUser('1000', files)).toEqual(app);
  });

  it('with a group, by name or number, that group alone', () => {
    expect(resolveUser('app:staff', files)).toEqual({ uid: 1000, gid: 50, additionalGids: [], home: '/home/app', name: 'app' });
    expect(resolveUser('1000:staff', files)).toMatchObject({ uid: 1000, gid: 50, additionalGids: [] });
    expect(resolveUser('app:0', files)).toMatchObject({ uid: 1000, gid: 0, additionalGids: [] });
    expect(resolveUser('1000:4343', files)).toMatchObject({ uid: 1000, gid: 4343, additionalGids: [] });
  });

  it('a number in no file is accepted: gid 0 without a group, the given gid with one, home /', () => {
    expect(resolveUser('4242', files)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
    expect(resolveUser('4242:4343', files)).toEqual({ uid: 4242, gid: 4343, additionalGids: [], home: '/' });
    expect(resolveUser('4242:staff', files)).toEqual({ uid: 4242, gid: 50, additionalGids: [], home: '/' });
  });

  it('no user (or an empty user part) is root as passwd lists it, with root\'s groups', () => {
    expect(resolveUser(undefined, files)).toEqual({ uid: 0, gid: 0, additionalGids: [10], home: '/root', name: 'root' });
    expect(resolveUser('', files)).toMatchObject({ uid: 0, gid: 0, home: '/root' });
    expect(resolveUser(':50', files)).toMatchObject({ uid: 0, gid: 50, additionalGids: [] });
  });

  it('an image without passwd and group files runs root and numeric users', () => {
    expect(resolveUser(undefined, {})).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/' });
    expect(resolveUser('root', {})).toEqual({ uid: 0, gid: 0, additionalGids: [], home: '/root', name: 'root' });
    expect(resolveUser('12:34', {})).toEqual({ uid: 12, gid: 34, additionalGids: [], home: '/' });
  });

  it('a passwd entry without the last fields still counts; its home defaults to /', () => {
    expect(resolveUser('short', files)).toEqual({ uid: 1001, gid: 1001, additionalGids: [], home: '/', name: 'short' });
  });

  it('group_add adds groups by name or number, with or without a group, never the primary one twice', () => {
    expect(resolveUser('app', files, { groupAdd: ['wheel', '2000', 'app'] }).additionalGids).toEqual([10, 44, 50, 2000]);
    expect(resolveUser('app:staff', files, { groupAdd: ['staff', 'video'] })).toMatchObject({ gid: 50, additionalGids: [44] });
    expect(resolveUser('4242', files, { groupAdd: ['video'] })).toMatchObject({ gid: 0, additionalGids: [44] });
  });

  it('a name missing from its file is an error naming the name and the file, at services.<name>.user or .group_add', () => {
    expect(() => resolveUser('nobody', files)).toThrow('unable to find user nobody: no matching entries in passwd file');
    expect(() => resolveUser('app:nogroup', files)).toThrow('unable to find group nogroup: no matching entries in group file');
    const err = (() => {
      try {
        resolveUser('app', files, { service: 'web', groupAdd: ['nogroup'] });
      } catch (e) {
        return e as { code: string; message: string; path: unknown };
      }
    })();
    expect(err).toMatchObject({ code: 'user.unknown-group', message: 'service web: unable to find group nogroup: no matching entries in group file', path: ['services', 'web', 'group_add'] });
    expect(() => resolveUser('nobody', files, { service: 'web' })).toThrow(expect.objectContaining({ code: 'user.unknown', path: ['services', 'web', 'user'] }));
  });

  it('parses only well-formed entries', () => {
    expect(parsePasswd(PASSWD).map((p) => p.name)).toEqual(['root', 'app', 'short']);
    expect(parseGroup(GROUP).find((g) => g.name === 'staff')).toEqual({ name: 'staff', gid: 50, members: ['app', 'other'] });
  });
});

describe('COPY --chown reads the same files (its own rule: a user alone also names the group)', () => {
  const at = { file: 'Dockerfile', line: 1, column: 1 };
  it('resolves names through the shared parsers', () => {
    expect(resolveChown('app', files, at)).toEqual({ uid: 1000, gid: 1000 });
    expect(resolveChown('app:staff', files, at)).toEqual({ uid: 1000, gid: 50 });
    expect(resolveChown('10', files, at)).toEqual({ uid: 10, gid: 10 });
    expect(() => resolveChown('nobody', files, at)).toThrow('unable to find user nobody');
  });
});

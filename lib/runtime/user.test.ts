// lib/runtime/user.ts: --user and --group-add resolved in an image's /etc/passwd and /etc/group
// (literal texts), and the order of setgroups, setgid, setuid on a RecordingSys.

import { describe, expect, it } from 'vitest';
import { RecordingSys } from '../sys/fake.js';
import { parsePasswd, resolveUser, switchUser } from './user.js';

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
app:x:1000:1000:App:/home/app:/bin/sh
# a comment
broken line
`;
const GROUP = `root:x:0:
wheel:x:10:root,app
app:x:1000:
staff:x:50:app
`;

describe('user resolution in the image\'s /etc/passwd and /etc/group', () => {
  it('reads passwd lines and skips comments and broken ones', () => {
    expect(parsePasswd(PASSWD).map((e) => e.name)).toEqual(['root', 'daemon', 'app']);
  });

  it('resolves a name to its uid, primary gid, home and the groups that list it', () => {
    expect(resolveUser('app', PASSWD, GROUP)).toEqual({ uid: 1000, gid: 1000, additionalGids: [10, 50], home: '/home/app' });
  });

  it('takes numbers the image does not know, with gid 0 and home /', () => {
    expect(resolveUser('4242', PASSWD, GROUP)).toEqual({ uid: 4242, gid: 0, additionalGids: [], home: '/' });
    expect(resolveUser('1000:1000', '', '')).toEqual({ uid: 1000, gid: 1000, additionalGids: [], home: '/' });
  });

  it('resolves name:group and --group-add by name or number', () => {
    expect(resolveUser('daemon:staff', PASSWD, GROUP, ['wheel', '77'])).toEqual({ uid: 1, gid: 50, additionalGids: [10, 77], home: '/usr/sbin' });
  });

  it('refuses a name the image does not have, as docker does', () => {
    expect(() => resolveUser('nobody', PASSWD, GROUP)).toThrow('unable to find user nobody: no matching entries in passwd file');
    expect(() => resolveUser('app:nogroup', PASSWD, GROUP)).toThrow('unable to find group nogroup');
  });

  it('switches groups before the user: setgroups, setgid, setuid', () => {
    const sys = new RecordingSys();
    switchUser(sys, { uid: 1000, gid: 1000, additionalGids: [10] });
    expect(sys.calls).toEqual([{ op: 'setgroups', args: [[10]] }, { op: 'setgid', args: [1000] }, { op: 'setuid', args: [1000] }]);
  });
});

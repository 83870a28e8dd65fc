import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readFileInRoot, resolveUser } from './user.js';

describe('resolveUser', () => {
  let root: string;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-user-'));
    await mkdir(join(root, 'etc'));
    await writeFile(
      join(root, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\nnobody:x:65534:65534::/nonexistent:/bin/false\n',
    );
    await writeFile(
      join(root, 'etc/group'),
      'root:x:0:\nwheel:x:10:root,app\napp:x:1001:\naudio:x:29:app\nnogroup:x:65534:\n',
    );
  });
  after(() => rm(root, { recursive: true, force: true }));

  test('empty user is root with root’s groups and home', async () => {
    assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [10], home: '/root' });
    assert.deepEqual(await resolveUser(root, undefined), {
      uid: 0,
      gid: 0,
      additionalGids: [10],
      home: '/root',
    });
  });

  test('a name resolves uid, gid and member groups', async () => {
    assert.deepEqual(await resolveUser(root, 'app'), {
      uid: 1000,
      gid: 1001,
      additionalGids: [10, 29],
      home: '/home/app',
    });
  });

  test('a uid in passwd resolves like its name', async () => {
    assert.deepEqual(await resolveUser(root, '1000'), {
      uid: 1000,
      gid: 1001,
      additionalGids: [10, 29],
      home: '/home/app',
    });
  });

  test('an unknown uid is allowed with gid 0', async () => {
    assert.deepEqual(await resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
  });

  test('an explicit group wins and drops supplementary groups', async () => {
    assert.deepEqual(await resolveUser(root, 'app:nogroup'), {
      uid: 1000,
      gid: 65534,
      additionalGids: [],
      home: '/home/app',
    });
    assert.deepEqual(await resolveUser(root, '1000:777'), {
      uid: 1000,
      gid: 777,
      additionalGids: [],
      home: '/home/app',
    });
  });

  test('GroupAdd appends by name or number', async () => {
    const u = await resolveUser(root, 'nobody', ['audio', '5000']);
    assert.deepEqual(u.additionalGids, [29, 5000]);
  });

  test('unknown names fail as Docker does', async () => {
    await assert.rejects(resolveUser(root, 'ghost'), {
      code: 'INVALID_CONFIG',
      message: /unable to find user ghost: no matching entries in passwd file/,
    });
    await assert.rejects(resolveUser(root, 'app:ghosts'), {
      code: 'INVALID_CONFIG',
      message: /unable to find group ghosts/,
    });
  });

  test('symlinks in the image resolve inside the root', async () => {
    const r2 = await mkdtemp(join(tmpdir(), 'wharf-user-link-'));
    try {
      await mkdir(join(r2, 'etc'));
      await mkdir(join(r2, 'data'));
      await writeFile(join(r2, 'data/passwd'), 'evil:x:7:7::/:/bin/sh\n');
      // An absolute link must point into the image, not at the host's /etc/passwd.
      await symlink('/data/passwd', join(r2, 'etc/passwd'));
      assert.equal((await resolveUser(r2, 'evil')).uid, 7);
      await rm(join(r2, 'etc/passwd'));
      await symlink('../../../../../../etc/shadow', join(r2, 'etc/passwd'));
      assert.equal(await readFileInRoot(r2, '/etc/passwd'), undefined);
    } finally {
      await rm(r2, { recursive: true, force: true });
    }
  });
});

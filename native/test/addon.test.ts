// wharf_native.node: the calls reject with errno-coded Errors, take flag names,
// and do the real syscalls (mounts on a temp dir, cleaned up afterwards).
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import { lstat, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot } from '../../engine/testing/busybox.js';
import { isNativeError, loadNative, native } from '../index.js';

describe(
  'wharf_native addon',
  { skip: isRoot() ? false : 'needs root (mount, mknod, trusted.* xattrs)' },
  () => {
    let dir: string;
    before(async () => {
      loadNative();
      dir = await mkdtemp(join(tmpdir(), 'wharf-addon-'));
    });
    after(async () => {
      const mounts = (await readFile('/proc/self/mountinfo', 'utf8'))
        .split('\n')
        .filter((l) => l.includes(dir));
      for (let i = 0; i < mounts.length; i++)
        await native.umount2(join(dir, 'm'), ['MNT_DETACH']).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    test('errors carry the errno name, number, syscall and what failed', async () => {
      await assert.rejects(native.umount2(join(dir, 'not-mounted'), []), (err: unknown) => {
        assert.ok(isNativeError(err, 'ENOENT') || isNativeError(err, 'EINVAL'));
        assert.equal((err as { syscall: string }).syscall, 'umount2');
        assert.match((err as Error).message, /^unmount `.*not-mounted`: /);
        return true;
      });
      await assert.rejects(native.mount(null, join(dir, 'nope'), 'tmpfs', [], null), {
        code: 'ENOENT',
        errno: 2,
      });
    });

    test('bad arguments throw synchronously', () => {
      assert.throws(() => native.umount2(join(dir, 'x'), ['MNT_BOGUS' as 'MNT_DETACH']), {
        code: 'ERR_INVALID_ARG_VALUE',
      });
      assert.throws(() => native.mount(null, 42 as unknown as string, null, [], null), {
        code: 'ERR_INVALID_ARG_TYPE',
      });
      assert.throws(() => native.mknod('/a\0b', 0, 0, 0), { code: 'ERR_INVALID_ARG_TYPE' });
    });

    test('mount, remount read-only, busy umount, lazy detach', async () => {
      const m = join(dir, 'm');
      await mkdir(m);
      await native.mount('tmpfs', m, 'tmpfs', ['MS_NOSUID', 'MS_NODEV'], 'size=1m,mode=0755');
      await writeFile(join(m, 'f'), 'x');
      await native.mount(null, m, null, ['MS_REMOUNT', 'MS_RDONLY', 'MS_NOSUID', 'MS_NODEV'], null);
      await assert.rejects(writeFile(join(m, 'g'), 'y'), { code: 'EROFS' });
      const { open } = await import('node:fs/promises');
      const fh = await open(join(m, 'f'));
      await assert.rejects(native.umount2(m, []), {
        code: 'EBUSY',
        message: /unmount `.*`: Device or resource busy/,
      });
      await native.umount2(m, ['MNT_DETACH']);
      await fh.close();
      assert.ok(!(await readFile('/proc/self/mountinfo', 'utf8')).includes(` ${m} `));
    });

    test('fsmount: overlay with lowerdir+ and kernel messages on failure', async () => {
      for (const d of ['lo', 'up', 'wk', 'ov']) await mkdir(join(dir, d));
      await writeFile(join(dir, 'lo', 'a'), 'lower');
      const ov = join(dir, 'ov');
      await native.fsmount(
        'overlay',
        ov,
        [
          ['lowerdir+', join(dir, 'lo')],
          ['upperdir', join(dir, 'up')],
          ['workdir', join(dir, 'wk')],
        ],
        ['MOUNT_ATTR_NODEV'],
      );
      assert.equal(await readFile(join(ov, 'a'), 'utf8'), 'lower');
      await native.umount2(ov, []);
      await assert.rejects(native.fsmount('overlay', ov, [['bogus_option', 'x']], []), (err: unknown) => {
        assert.ok(isNativeError(err));
        assert.match((err as Error).message, /fsconfig `bogus_option`/);
        return true;
      });
      await assert.rejects(native.fsmount('no-such-fs', ov, [], []), { code: 'ENODEV', syscall: 'fsmount' });
    });

    test('mknod makes overlay whiteouts; xattrs round-trip', async () => {
      const wh = join(dir, 'wh');
      await native.mknod(wh, constants.S_IFCHR, 0, 0);
      const st = await lstat(wh);
      assert.ok(st.isCharacterDevice());
      assert.equal(st.rdev, 0);
      await assert.rejects(native.mknod(wh, constants.S_IFCHR, 0, 0), { code: 'EEXIST' });

      const d = join(dir, 'opq');
      await mkdir(d);
      assert.equal(await native.lgetxattr(d, 'trusted.overlay.opaque'), null);
      await native.lsetxattr(d, 'trusted.overlay.opaque', 'y', ['XATTR_CREATE']);
      await native.lsetxattr(d, 'user.wharf', Buffer.from([0, 1, 2]), []);
      assert.equal((await native.lgetxattr(d, 'trusted.overlay.opaque'))?.toString(), 'y');
      assert.deepEqual(await native.lgetxattr(d, 'user.wharf'), Buffer.from([0, 1, 2]));
      assert.deepEqual((await native.llistxattr(d)).sort(), ['trusted.overlay.opaque', 'user.wharf']);
      await assert.rejects(native.lsetxattr(d, 'trusted.overlay.opaque', 'y', ['XATTR_CREATE']), {
        code: 'EEXIST',
      });
      await assert.rejects(native.lgetxattr(join(dir, 'missing'), 'user.x'), { code: 'ENOENT' });
    });
  },
);

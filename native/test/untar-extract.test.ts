// wharf-untar on well-formed layers: what Docker's overlay driver would
// produce on disk (ownership, modes, setuid, mtimes, xattrs, hard links,
// symlinks, devices, whiteouts, opaque dirs), and --create writing it back.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildTar, getXattr, readTar, setXattr } from '../../engine/storage/layers/testing.js';
import { untarSkip, runUntar, runUntarRaw, Sandbox } from './untar-harness.js';

const skip = untarSkip('untar extract');

// security.capability v2 for cap_net_raw+ep (what `setcap cap_net_raw+ep` writes).
const CAP_NET_RAW = Buffer.from('0100000200200000000000000000000000000000', 'hex');
const MTIME = new Date('2021-02-03T04:05:06Z');

describe('wharf-untar: extraction', { skip }, () => {
  const boxes: Sandbox[] = [];
  after(() => {
    for (const b of boxes) b.dispose();
  });
  function box(): Sandbox {
    const b = new Sandbox();
    boxes.push(b);
    return b;
  }

  test('preserves ownership, modes, setuid, mtimes, xattrs, hard links, symlinks and devices', async () => {
    const b = box();
    const tar = await buildTar([
      { name: './', type: 'directory', mode: 0o755, mtime: MTIME },
      { name: 'bin/', type: 'directory', mode: 0o755, uid: 0, gid: 0, mtime: MTIME },
      { name: 'bin/su', body: 'su', mode: 0o4755, uid: 0, gid: 0, mtime: MTIME },
      { name: 'bin/wall', body: 'wall', mode: 0o2755, uid: 0, gid: 5, mtime: MTIME },
      {
        name: 'bin/ping',
        body: 'ping',
        mode: 0o755,
        mtime: MTIME,
        pax: { 'SCHILY.xattr.security.capability': CAP_NET_RAW.toString('latin1') },
      },
      { name: 'home/', type: 'directory', mode: 0o700, uid: 1000, gid: 1001, mtime: MTIME },
      {
        name: 'home/f',
        body: 'user file',
        mode: 0o600,
        uid: 1000,
        gid: 1001,
        mtime: MTIME,
        pax: { 'SCHILY.xattr.user.note': 'hello' },
      },
      { name: 'home/hard', type: 'link', linkname: 'home/f' },
      { name: 'bin/sh', type: 'symlink', linkname: '/bin/busybox', uid: 7, gid: 8 },
      { name: 'tmp/', type: 'directory', mode: 0o1777, mtime: MTIME },
      { name: 'dev/', type: 'directory' },
      { name: 'dev/null', type: 'character-device', devmajor: 1, devminor: 3, mode: 0o666 },
      { name: 'dev/fifo', type: 'fifo', mode: 0o600 },
    ]);
    const r = runUntar([b.target], tar);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { size: 2 + 4 + 4 + 9, entries: 13 });
    const t = b.target;

    const su = statSync(join(t, 'bin/su'));
    assert.equal(su.mode & 0o7777, 0o4755);
    assert.equal(su.mtime.getTime(), MTIME.getTime());
    assert.equal(statSync(join(t, 'bin/wall')).mode & 0o7777, 0o2755);
    assert.equal(statSync(join(t, 'bin/wall')).gid, 5);
    assert.deepEqual(getXattr(join(t, 'bin/ping'), 'security.capability'), CAP_NET_RAW);

    const home = statSync(join(t, 'home'));
    assert.equal(home.mode & 0o7777, 0o700);
    assert.equal(home.uid, 1000);
    assert.equal(home.gid, 1001);
    assert.equal(home.mtime.getTime(), MTIME.getTime(), 'directory mtime survives later members');
    const f = statSync(join(t, 'home/f'));
    assert.equal(f.uid, 1000);
    assert.equal(f.mode & 0o7777, 0o600);
    assert.equal(statSync(join(t, 'home/hard')).ino, f.ino);
    assert.equal(f.nlink, 2);
    assert.equal(getXattr(join(t, 'home/f'), 'user.note')?.toString(), 'hello');

    assert.equal(readlinkSync(join(t, 'bin/sh')), '/bin/busybox');
    assert.equal(lstatSync(join(t, 'bin/sh')).uid, 7);
    assert.equal(statSync(join(t, 'tmp')).mode & 0o7777, 0o1777);
    const dn = lstatSync(join(t, 'dev/null'));
    assert.ok(dn.isCharacterDevice());
    assert.equal(dn.rdev, 0x103);
    assert.ok(lstatSync(join(t, 'dev/fifo')).isFIFO());

    const root = statSync(t);
    assert.equal(root.mode & 0o7777, 0o755);
    assert.equal(root.mtime.getTime(), MTIME.getTime(), 'the ./ member applies to the layer root');
    assert.deepEqual(b.changes(), []);
  });

  test('--no-devices refuses device nodes', async () => {
    const b = box();
    const r = runUntar(
      ['--no-devices', b.target],
      await buildTar([{ name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0 }]),
    );
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /dev\/sda/);
  });

  test('whiteouts become 0/0 character devices and .wh..wh..opq an opaque directory', async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'etc/', type: 'directory' },
        { name: 'etc/.wh.motd', body: '' },
        { name: 'usr/share/doc/', type: 'directory', mode: 0o750 },
        { name: 'usr/share/doc/.wh..wh..opq', body: '' },
        { name: 'usr/share/doc/new', body: 'new' },
        { name: 'var/.wh.cache', body: '' }, // parent not in the tar: created
        { name: '.wh..wh.plnk/123', body: 'aufs' }, // AUFS metadata: skipped
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    const wh = lstatSync(join(b.target, 'etc/motd'));
    assert.ok(wh.isCharacterDevice());
    assert.equal(wh.rdev, 0);
    assert.ok(lstatSync(join(b.target, 'var/cache')).isCharacterDevice());
    assert.equal(getXattr(join(b.target, 'usr/share/doc'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(statSync(join(b.target, 'usr/share/doc')).mode & 0o777, 0o750);
    assert.equal(readFileSync(join(b.target, 'usr/share/doc/new'), 'utf8'), 'new');
    assert.throws(() => lstatSync(join(b.target, '.wh..wh.plnk')));
    assert.throws(() => lstatSync(join(b.target, 'etc/.wh.motd')));
  });

  test('a later member replaces an earlier one; a whiteout replaces a file of the same layer', async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'a', body: 'one' },
        { name: 'a', body: 'two' },
        { name: 'gone', body: 'x' },
        { name: '.wh.gone', body: '' },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(b.target, 'a'), 'utf8'), 'two');
    assert.ok(lstatSync(join(b.target, 'gone')).isCharacterDevice());
  });

  test('an empty input and trailing bytes after the archive are accepted', async () => {
    const b = box();
    const r = runUntar([b.target], Buffer.alloc(0));
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { size: 0, entries: 0 });
    const b2 = box();
    const tar = Buffer.concat([await buildTar([{ name: 'f', body: 'f' }]), Buffer.alloc(1 << 20)]);
    const r2 = runUntar([b2.target], tar);
    assert.equal(r2.status, 0, r2.stderr);
  });

  test('--create writes the directory back, whiteouts and opaque dirs as .wh. members', async () => {
    const b = box();
    const t = b.target;
    mkdirSync(join(t, 'etc'));
    writeFileSync(join(t, 'etc/hosts'), 'hosts', { mode: 0o644 });
    execFileSync('mknod', [join(t, 'etc/motd'), 'c', '0', '0']);
    mkdirSync(join(t, 'opq'), { mode: 0o711 });
    setXattr(join(t, 'opq'), 'trusted.overlay.opaque', 'y');
    writeFileSync(join(t, 'opq/kept'), 'kept');
    writeFileSync(join(t, 'suid'), 's', { mode: 0o755 });
    execFileSync('chmod', ['4755', join(t, 'suid')]);
    execFileSync('ln', [join(t, 'suid'), join(t, 'suid-link')]);
    symlinkSync('/etc/hosts', join(t, 'sym'));
    setXattr(join(t, 'etc/hosts'), 'user.k', 'v');

    const r = runUntarRaw(['--create', '--whiteouts', t]);
    assert.equal(r.status, 0, r.stderr);
    const members = await readTar(r.stdout);
    const byName = new Map(members.map((m) => [m.name, m]));
    assert.deepEqual(
      members.map((m) => m.name),
      [
        'etc/',
        'etc/hosts',
        'etc/.wh.motd',
        'opq/',
        'opq/.wh..wh..opq',
        'opq/kept',
        'suid',
        'suid-link',
        'sym',
      ],
    );
    assert.equal(byName.get('etc/.wh.motd')?.type, 'file');
    assert.equal(byName.get('opq/')?.pax['SCHILY.xattr.trusted.overlay.opaque'], undefined);
    assert.equal(byName.get('etc/hosts')?.pax['SCHILY.xattr.user.k'], 'v');
    assert.equal((byName.get('suid')?.mode ?? 0) & 0o7777, 0o4755);
    assert.equal(byName.get('suid-link')?.type, 'link');
    assert.equal(byName.get('suid-link')?.linkname, 'suid');
    assert.equal(byName.get('sym')?.linkname, '/etc/hosts');

    // And back: the round trip gives the same tree.
    const b2 = box();
    const back = runUntar([b2.target], r.stdout);
    assert.equal(back.status, 0, back.stderr);
    assert.ok(lstatSync(join(b2.target, 'etc/motd')).isCharacterDevice());
    assert.equal(getXattr(join(b2.target, 'opq'), 'trusted.overlay.opaque')?.toString(), 'y');
    assert.equal(statSync(join(b2.target, 'suid')).ino, statSync(join(b2.target, 'suid-link')).ino);

    // Without --whiteouts (export of a merged dir) devices stay devices and no marker is added.
    const plain = runUntarRaw(['--create', t]);
    assert.equal(plain.status, 0, plain.stderr);
    const names = (await readTar(plain.stdout)).map((m) => m.name);
    assert.ok(names.includes('etc/motd'));
    assert.ok(!names.includes('opq/.wh..wh..opq'));
    assert.deepEqual(b.changes(), []);
  });

  test('UTF-8 names survive extraction and --create unchanged', async () => {
    const b = box();
    const long = `${'日本語'.repeat(20)}/ü.txt`;
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'café/', type: 'directory' },
        { name: 'café/naïve.txt', body: 'n' },
        { name: long, body: 'l' },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(b.target, 'café/naïve.txt'), 'utf8'), 'n');
    assert.equal(readFileSync(join(b.target, long), 'utf8'), 'l');
    const out = runUntarRaw(['--create', b.target]);
    assert.equal(out.status, 0, out.stderr);
    const members = await readTar(out.stdout);
    const names = members.map((m) => m.name);
    assert.ok(names.includes('café/naïve.txt'), names.join(','));
    assert.ok(names.includes(long), names.join(','));
    assert.ok(
      members.every((m) => m.pax.hdrcharset === undefined),
      'names are written as UTF-8, not BINARY',
    );
  });

  test('--create gives the same bytes for the same tree', () => {
    const b = box();
    for (const n of ['c', 'a', 'b']) writeFileSync(join(b.target, n), n);
    const one = runUntarRaw(['--create', b.target]);
    const two = runUntarRaw(['--create', b.target]);
    assert.equal(one.status, 0, one.stderr);
    assert.ok(one.stdout.equals(two.stdout));
  });
});

// Hostile layer tars against wharf-untar (reference/runtime-and-security.md,
// "Layer tars"): each case its own test, with a canary file and directory
// outside the target that must stay exactly as they were.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { buildTar, type TarMember } from '../../engine/storage/layers/testing.js';
import { untarSkip, runUntar, Sandbox } from './untar-harness.js';

const skip = untarSkip('untar hostile');

describe('wharf-untar: hostile layer tars', { skip }, () => {
  const boxes: Sandbox[] = [];
  const hostNames: string[] = [];
  let etcBefore: string[] = [];
  let shadowLinks = 0;
  before(() => {
    etcBefore = readdirSync('/etc').sort();
    shadowLinks = existsSync('/etc/shadow') ? statSync('/etc/shadow').nlink : 0;
  });
  after(() => {
    for (const b of boxes) b.dispose();
    assert.deepEqual(readdirSync('/etc').sort(), etcBefore, '/etc changed');
    if (shadowLinks) assert.equal(statSync('/etc/shadow').nlink, shadowLinks, '/etc/shadow gained a link');
    for (const n of hostNames) assert.ok(!existsSync(n), `${n} was created on the host`);
  });

  function box(): Sandbox {
    const b = new Sandbox();
    boxes.push(b);
    return b;
  }
  function hostName(): string {
    const n = `/etc/wharf-canary-${randomBytes(4).toString('hex')}`;
    hostNames.push(n);
    return n;
  }

  /** Extracts `members`; asserts failure naming `offending`, and no change outside. */
  async function refused(members: (b: Sandbox) => TarMember[], offending: string, extra: string[] = []) {
    const b = box();
    const r = runUntar([...extra, b.target], await buildTar(members(b)));
    assert.notEqual(r.status, 0, `extraction should fail; stdout=${r.stdout}`);
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, `one line on stderr: ${r.stderr}`);
    assert.match(lines[0] ?? '', /^wharf-untar: /);
    assert.ok(lines[0]?.includes(offending), `stderr names ${offending}: ${r.stderr}`);
    assert.deepEqual(b.changes(), []);
    return b;
  }

  test('../x is refused', async () => {
    await refused(() => [{ name: '../x', body: 'x' }], '../x');
  });

  test('../../outside/x through a nested name is refused', async () => {
    await refused(() => [{ name: 'a/../../outside/x', body: 'x' }], 'a/../../outside/x');
  });

  test('/etc/x is refused', async () => {
    const n = hostName();
    await refused(() => [{ name: n, body: 'x' }], n);
  });

  test('//etc/x is refused', async () => {
    const n = hostName();
    await refused(() => [{ name: `/${n}`, body: 'x' }], `/${n}`);
  });

  test('a symlink to a host dir, then a write through it, is refused', async () => {
    await refused(
      (b) => [
        { name: 'a', type: 'symlink', linkname: b.outside },
        { name: 'a/passwd', body: 'root::0:0::/:/bin/sh\n' },
      ],
      'a/passwd',
    );
  });

  test('a symlink to /etc, then a write to a/passwd, never reaches the host /etc', async () => {
    const b = box();
    const n = hostName().slice('/etc/'.length);
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'a', type: 'symlink', linkname: '/etc' },
        { name: `a/${n}`, body: 'pwned\n' },
      ]),
    );
    assert.notEqual(r.status, 0);
    assert.ok(r.stderr.includes(`a/${n}`), r.stderr);
    assert.deepEqual(b.changes(), []);
  });

  test('a directory replaced by a symlink of the same name, then written through, is refused', async () => {
    await refused(
      (b) => [
        { name: 'd/', type: 'directory' },
        { name: 'd', type: 'symlink', linkname: b.outside },
        { name: 'd/x', body: 'x' },
      ],
      'd/x',
    );
  });

  test('a non-empty directory replaced by a symlink of the same name is refused', async () => {
    await refused(
      (b) => [
        { name: 'd/', type: 'directory' },
        { name: 'd/ok', body: 'ok' },
        { name: 'd', type: 'symlink', linkname: b.outside },
        { name: 'd/x', body: 'x' },
      ],
      '`d`',
    );
  });

  test('a symlink named . pointing outside is refused', async () => {
    await refused((b) => [{ name: '.', type: 'symlink', linkname: b.outside }], '.');
  });

  test('a symlink named ./. pointing outside, then files, is refused', async () => {
    await refused(
      (b) => [
        { name: './.', type: 'symlink', linkname: b.outside },
        { name: 'x', body: 'x' },
      ],
      './.',
    );
  });

  test('a hard link to ../../etc/shadow is refused', async () => {
    await refused(() => [{ name: 'h', type: 'link', linkname: '../../etc/shadow' }], '../../etc/shadow');
  });

  test('a hard link to /etc/shadow is refused', async () => {
    await refused(() => [{ name: 'h', type: 'link', linkname: '/etc/shadow' }], '/etc/shadow');
  });

  test('a hard link to the canary by absolute path is refused', async () => {
    await refused((b) => [{ name: 'h', type: 'link', linkname: b.canary }], 'h');
  });

  test('a hard link through a symlink pointing out is refused', async () => {
    await refused(
      (b) => [
        { name: 'out', type: 'symlink', linkname: b.base },
        { name: 'h', type: 'link', linkname: 'out/canary' },
      ],
      'h',
    );
  });

  test('a hard link to a symlink pointing out links the symlink, never the target', async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 's', type: 'symlink', linkname: b.canary },
        { name: 'h', type: 'link', linkname: 's' },
        { name: 'h', body: 'overwrite\n' },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.ok(lstatSync(join(b.target, 's')).isSymbolicLink());
    assert.ok(lstatSync(join(b.target, 'h')).isFile());
    assert.deepEqual(b.changes(), []);
  });

  test('a mode and owner change on a symlink to a host file leaves the file alone', async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'l', type: 'symlink', linkname: b.canary },
        { name: 'l', type: 'symlink', linkname: b.canary, mode: 0o4777, uid: 4242, gid: 4242 },
        { name: 'l2', type: 'link', linkname: 'l', mode: 0o4777, uid: 4242, gid: 4242 },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal(lstatSync(join(b.target, 'l')).uid, 4242, 'the link itself is chowned');
    assert.deepEqual(b.changes(), []);
  });

  test('a directory whose deferred mode/owner fixup meets a symlink leaves the target alone', async () => {
    // libarchive sets directory modes at the end (CVE-2021-31566's shape).
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'd/', type: 'directory', mode: 0o4777, uid: 4242, gid: 4242 },
        { name: 'd', type: 'symlink', linkname: b.canary },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(b.changes(), []);
  });

  for (const name of ['.wh..', '.wh...', 'etc/.wh..', '.wh.', 'a/.wh..wh.x', '.wh.x/y']) {
    test(`bogus whiteout ${name} is refused`, async () => {
      await refused(() => [{ name, body: '' }], name);
    });
  }

  test('a whiteout below a symlink pointing out is refused', async () => {
    await refused(
      (b) => [
        { name: 'a', type: 'symlink', linkname: b.outside },
        { name: 'a/.wh.x', body: '' },
      ],
      'a',
    );
  });

  test('an opaque marker below a symlink pointing out is refused', async () => {
    await refused(
      (b) => [
        { name: 'a', type: 'symlink', linkname: b.outside },
        { name: 'a/.wh..wh..opq', body: '' },
      ],
      'a',
    );
  });

  test('a whiteout of a symlink removes the link, not its target', async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'l', type: 'symlink', linkname: b.canary },
        { name: '.wh.l', body: '' },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    const st = lstatSync(join(b.target, 'l'));
    assert.ok(st.isCharacterDevice());
    assert.equal(st.rdev, 0);
    assert.deepEqual(b.changes(), []);
  });

  test('a decompression bomb (a member bigger than the limit) is bounded', async () => {
    await refused(() => [{ name: 'zeros', body: Buffer.alloc(4 << 20) }], 'zeros', ['--max-size=1048576']);
  });

  test('a sparse-looking size is counted in full', async () => {
    const b = box();
    const r = runUntar(
      ['--max-size=1048576', b.target],
      await buildTar([
        { name: 'a', body: Buffer.alloc(600 << 10) },
        { name: 'b', body: Buffer.alloc(600 << 10) },
      ]),
    );
    assert.notEqual(r.status, 0);
    // Refused by the member-size sum (at `b`) or, when libarchive has read
    // ahead past the limit while still on `a`, by the stream's byte count:
    // either way both members were counted in full.
    assert.match(
      r.stderr,
      /member `[ab]`: the (uncompressed )?layer is larger than the limit of 1048576 bytes/,
    );
  });

  test('huge entry counts are bounded', async () => {
    const members = Array.from({ length: 200 }, (_, i) => ({ name: `f${i}`, body: '' }));
    await refused(() => members, 'more than 100 members', ['--max-entries=100']);
  });

  test('deep directories are bounded', async () => {
    const name = Array.from({ length: 300 }, () => 'd').join('/');
    await refused(() => [{ name, type: 'directory' }], 'deeper than 256');
  });

  test('long paths are bounded', async () => {
    const name = `${'x'.repeat(200)}/`.repeat(25) + 'f';
    await refused(() => [{ name, body: '' }], 'longer than 4095');
  });

  test("trusted.* xattrs from a tar are dropped (overlay metadata is not the layer's to set)", async () => {
    const b = box();
    const r = runUntar(
      [b.target],
      await buildTar([
        { name: 'd/', type: 'directory', pax: { 'SCHILY.xattr.trusted.overlay.redirect': '/etc' } },
      ]),
    );
    assert.equal(r.status, 0, r.stderr);
    const { getXattr } = await import('../../engine/storage/layers/testing.js');
    assert.equal(getXattr(join(b.target, 'd'), 'trusted.overlay.redirect'), undefined);
  });

  test('garbage instead of a tar fails cleanly', async () => {
    const b = box();
    const r = runUntar([b.target], Buffer.from('this is not a tar archive at all'.repeat(40)));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /^wharf-untar: /);
    assert.deepEqual(b.changes(), []);
  });
});

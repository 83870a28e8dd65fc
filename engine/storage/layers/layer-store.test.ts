// The layer store on a real data root: streaming extraction of plain, gzip
// and zstd layers through the confined helper, diffID/chainID checks, dedup,
// refcounts, crash leftovers, tar() back to .wh. members, and an overlay
// mount of two layers that shows what Docker would show.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { gzipSync, createGzip } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { isWharfError } from '../../errors.js';
import { isRoot } from '../../testing/busybox.js';
import {
  chainIDOf,
  chainIDsOf,
  createLayerStore,
  exportMerged,
  importRootfsTar,
  type Digest,
} from './index.js';
import { pack } from 'tar-stream';
import { buildTar, getXattr, readTar, sha256 } from './testing.js';
import { defaultUntarPath } from './untar.js';

const skip = !isRoot()
  ? 'needs root (mount namespace, chown, mknod, overlay)'
  : !existsSync(defaultUntarPath())
    ? 'wharf-untar not built (npm run build:native)'
    : false;
if (skip) console.log(`# skipping layer store tests: ${skip}`);

const lower = () =>
  buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/motd', body: 'hello\n' },
    { name: 'etc/keep', body: 'keep\n' },
    { name: 'opt/app/', type: 'directory' },
    { name: 'opt/app/old', body: 'old\n' },
    { name: 'bin/', type: 'directory' },
    { name: 'bin/tool', body: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'bin/tool2', type: 'link', linkname: 'bin/tool' },
  ]);
const upper = () =>
  buildTar([
    { name: 'etc/', type: 'directory' },
    { name: 'etc/.wh.motd', body: '' },
    { name: 'opt/app/', type: 'directory' },
    { name: 'opt/app/.wh..wh..opq', body: '' },
    { name: 'opt/app/new', body: 'new\n' },
  ]);

function gz(b: Buffer): Buffer {
  return gzipSync(b);
}

describe('layer store', { skip }, () => {
  const roots: string[] = [];
  const mounts: string[] = [];
  after(() => {
    for (const m of mounts.reverse()) {
      try {
        execFileSync('umount', [m]);
      } catch {
        // already gone
      }
    }
    for (const r of roots) rmSync(r, { recursive: true, force: true });
  });
  function dataRoot(): string {
    const r = mkdtempSync('/tmp/wharf-layers-test-');
    roots.push(r);
    return r;
  }
  /** Entries of layers/ besides tmp/, and of layers/tmp/. */
  function leftovers(root: string): { layers: string[]; tmp: string[] } {
    const l = join(root, 'layers');
    return {
      layers: readdirSync(l).filter((n) => n !== 'tmp'),
      tmp: readdirSync(join(l, 'tmp')),
    };
  }

  test('chainID is computed as Docker does', () => {
    const a: Digest = `sha256:${'a'.repeat(64)}`;
    const b: Digest = `sha256:${'b'.repeat(64)}`;
    assert.equal(chainIDOf(null, a), a);
    const expected = `sha256:${createHash('sha256').update(`${a} ${b}`).digest('hex')}`;
    assert.equal(chainIDOf(a, b), expected);
    assert.deepEqual(chainIDsOf([a, b]), [a, expected]);
    assert.throws(
      () => chainIDOf(null, 'sha256:../../x' as Digest),
      (e) => isWharfError(e, 'INVALID_ARGUMENT'),
    );
  });

  test('plain, gzip and zstd layers give the same diffID, the sha256 of the tar', async () => {
    const tar = await lower();
    const diffID = sha256(tar);
    for (const [kind, blob] of [
      ['none', tar],
      ['gzip', gz(tar)],
      ['zstd', await zstdCompress(tar)],
    ] as const) {
      const root = dataRoot();
      const store = createLayerStore({ dataRoot: root });
      let progress = 0;
      const info = await store.extract(Readable.from([blob]), {
        parentChainID: null,
        onProgress: (n) => (progress = n),
      });
      assert.equal(info.diffID, diffID, kind);
      assert.equal(info.chainID, diffID, `${kind}: bottom chainID = diffID`);
      assert.equal(info.size, 6 + 5 + 4 + 10);
      assert.equal(progress, blob.length);
      const diff = store.diffDir(info.chainID);
      assert.equal(readFileSync(join(diff, 'etc/motd'), 'utf8'), 'hello\n');
      assert.equal(statSync(join(diff, 'bin/tool')).mode & 0o7777, 0o4755);
      assert.equal(statSync(join(root, 'layers')).mode & 0o777, 0o700);
      assert.deepEqual(await store.get(info.chainID), info);
      assert.deepEqual(await store.list(), [info]);
      assert.deepEqual(leftovers(root).tmp, []);
    }
  });

  test('a large gzip layer arriving in chunks is extracted in one streaming pass', async () => {
    const store = createLayerStore({ dataRoot: dataRoot() });
    const big = Buffer.alloc(64 << 20, 7);
    const tar = await buildTar([{ name: 'big', body: big }]);
    const gzip = createGzip();
    const source = Readable.from(
      (async function* () {
        for (let i = 0; i < tar.length; i += 1 << 20) yield tar.subarray(i, i + (1 << 20));
      })(),
    ).pipe(gzip);
    const info = await store.extract(source, { parentChainID: null, expectedDiffID: sha256(tar) });
    assert.equal(statSync(join(store.diffDir(info.chainID), 'big')).size, big.length);
  });

  test('a diffID mismatch fails clearly and leaves nothing', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const tar = await lower();
    const wrong: Digest = `sha256:${'0'.repeat(64)}`;
    await assert.rejects(
      store.extract(Readable.from([gz(tar)]), { parentChainID: null, expectedDiffID: wrong }),
      (e) =>
        isWharfError(e, 'LAYER_DIGEST_MISMATCH') &&
        e.message.includes(`expected ${wrong} got ${sha256(tar)}`),
    );
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
  });

  test('a hostile layer fails naming the member, leaves nothing and touches nothing outside', async () => {
    const root = dataRoot();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const store = createLayerStore({ dataRoot: root });
    const tar = await buildTar([
      { name: 'ok', body: 'fine' },
      { name: 'a', type: 'symlink', linkname: outside },
      { name: 'a/evil', body: 'x' },
    ]);
    await assert.rejects(
      store.extract(Readable.from([gz(tar)]), { parentChainID: null }),
      (e) => isWharfError(e, 'LAYER_INVALID') && e.message.includes('a/evil'),
    );
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
    assert.deepEqual(readdirSync(outside), []);
  });

  test('a decompression bomb is cut off at the size limit', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root, limits: { maxSize: 8 << 20 } });
    // 1 GiB of zeros (about 1 MiB of gzip), produced as a stream: never all there at once.
    const p = pack();
    const entry = p.entry({ name: 'zeros', size: 1 << 30 });
    // The store stops reading and destroys the stream: the writer's errors are expected.
    entry.on('error', () => undefined);
    p.on('error', () => undefined);
    void (async () => {
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < 1024 && !entry.destroyed && !p.destroyed; i++) {
        if (!entry.write(chunk)) await new Promise<void>((r) => entry.once('drain', () => r()));
      }
      entry.end(undefined);
      p.finalize();
    })().catch(() => undefined);
    const zeros = p.pipe(createGzip());
    await assert.rejects(
      store.extract(zeros, { parentChainID: null }),
      (e) => isWharfError(e, 'LAYER_INVALID') && /larger than the limit/.test(e.message),
    );
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
  });

  test('a broken gzip stream fails and leaves nothing', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const blob = gz(await lower());
    await assert.rejects(
      store.extract(Readable.from([blob.subarray(0, blob.length / 2)]), { parentChainID: null }),
      (e) => isWharfError(e, 'LAYER_INVALID'),
    );
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
  });

  test('an aborted extraction leaves nothing', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const ac = new AbortController();
    const tar = await buildTar([{ name: 'f', body: Buffer.alloc(8 << 20) }]);
    const source = Readable.from(
      (async function* () {
        yield tar.subarray(0, 1 << 20);
        ac.abort();
        await new Promise((r) => setTimeout(r, 50));
        yield tar.subarray(1 << 20);
      })(),
    );
    await assert.rejects(store.extract(source, { parentChainID: null, signal: ac.signal }));
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
  });

  test('layers stack by chainID; a missing parent is refused', async () => {
    const store = createLayerStore({ dataRoot: dataRoot() });
    const l = await lower();
    const u = await upper();
    const missing: Digest = `sha256:${'1'.repeat(64)}`;
    await assert.rejects(store.extract(Readable.from([u]), { parentChainID: missing }), (e) =>
      isWharfError(e, 'LAYER_NOT_FOUND'),
    );
    const a = await store.extract(Readable.from([l]), { parentChainID: null });
    const b = await store.extract(Readable.from([gz(u)]), {
      parentChainID: a.chainID,
      expectedDiffID: sha256(u),
    });
    assert.equal(b.parentChainID, a.chainID);
    assert.equal(b.chainID, chainIDOf(a.chainID, sha256(u)));
    assert.deepEqual(chainIDsOf([sha256(l), sha256(u)]), [a.chainID, b.chainID]);
  });

  test('concurrent extractions of the same layer are deduplicated; present layers are not re-extracted', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const tar = await lower();
    const expectedDiffID = sha256(tar);
    const [a, b, c] = await Promise.all([
      store.extract(Readable.from([gz(tar)]), { parentChainID: null, expectedDiffID }),
      store.extract(Readable.from([gz(tar)]), { parentChainID: null, expectedDiffID }),
      store.extract(Readable.from([tar]), { parentChainID: null }),
    ]);
    assert.deepEqual(a, b);
    assert.deepEqual(a, c);
    assert.deepEqual(leftovers(root), { layers: [expectedDiffID.slice(7)], tmp: [] });
    const ino = statSync(store.diffDir(a.chainID)).ino;
    const never = new Readable({ read() {} });
    const again = await store.extract(never, { parentChainID: null, expectedDiffID });
    assert.deepEqual(again, a);
    assert.ok(never.destroyed, 'the unneeded stream is released');
    assert.equal(statSync(store.diffDir(a.chainID)).ino, ino, 'the same directory on disk');
  });

  test('references are counted and persisted; the last release removes the layer', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const info = await store.extract(Readable.from([await lower()]), { parentChainID: null });
    await assert.rejects(store.acquire(`sha256:${'2'.repeat(64)}`), (e) =>
      isWharfError(e, 'LAYER_NOT_FOUND'),
    );
    await Promise.all([
      store.acquire(info.chainID),
      store.acquire(info.chainID),
      store.acquire(info.chainID),
    ]);
    // A second store on the same root (an engine restart) sees the count.
    const reopened = createLayerStore({ dataRoot: root });
    assert.equal(await reopened.refs(info.chainID), 3);
    await reopened.release(info.chainID);
    await reopened.release(info.chainID);
    assert.ok(await store.has(info.chainID));
    await store.release(info.chainID);
    assert.equal(await store.has(info.chainID), false);
    assert.deepEqual(leftovers(root), { layers: [], tmp: [] });
  });

  test('cleanup() removes what a crash left in tmp/', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const info = await store.extract(Readable.from([await lower()]), { parentChainID: null });
    mkdirSync(join(root, 'layers/tmp/x-crashed/diff/etc'), { recursive: true });
    writeFileSync(join(root, 'layers/tmp/x-crashed/diff/etc/half'), 'half');
    writeFileSync(join(root, 'layers', info.chainID.slice(7), 'refs.abc.tmp'), '9');
    await createLayerStore({ dataRoot: root }).cleanup();
    assert.deepEqual(leftovers(root), { layers: [info.chainID.slice(7)], tmp: [] });
    assert.deepEqual(readdirSync(join(root, 'layers', info.chainID.slice(7))).sort(), ['diff', 'info.json']);
  });

  test('an overlay of two layers shows the deleted file gone and the replaced directory opaque', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const a = await store.extract(Readable.from([await lower()]), { parentChainID: null });
    const b = await store.extract(Readable.from([await upper()]), { parentChainID: a.chainID });
    const up = store.diffDir(b.chainID);
    assert.ok(lstatSync(join(up, 'etc/motd')).isCharacterDevice());
    assert.equal(getXattr(join(up, 'opt/app'), 'trusted.overlay.opaque')?.toString(), 'y');

    const merged = join(root, 'merged');
    mkdirSync(merged);
    execFileSync('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${up}:${store.diffDir(a.chainID)}`,
      merged,
    ]);
    mounts.push(merged);
    assert.equal(existsSync(join(merged, 'etc/motd')), false, 'whited-out file is gone');
    assert.equal(readFileSync(join(merged, 'etc/keep'), 'utf8'), 'keep\n');
    assert.deepEqual(readdirSync(join(merged, 'opt/app')), ['new'], 'opaque dir hides the lower content');
    assert.equal(statSync(join(merged, 'bin/tool')).ino, statSync(join(merged, 'bin/tool2')).ino);

    // export of the merged view: no whiteouts, no markers, the result Docker shows.
    const exported = await readTar(exportMerged(merged));
    const names = exported.map((m) => m.name);
    assert.ok(names.includes('etc/keep'));
    assert.ok(!names.some((n) => n.includes('motd') || n.includes('.wh.') || n === 'opt/app/old'));
    execFileSync('umount', [merged]);
    mounts.pop();
  });

  test('tar() gives the layer back with .wh. members, and it extracts to the same tree', async () => {
    const root = dataRoot();
    const store = createLayerStore({ dataRoot: root });
    const a = await store.extract(Readable.from([await lower()]), { parentChainID: null });
    const b = await store.extract(Readable.from([await upper()]), { parentChainID: a.chainID });
    const tar = await buffer(store.tar(b.chainID));
    const names = (await readTar(tar)).map((m) => m.name);
    assert.deepEqual(names, [
      'etc/',
      'etc/.wh.motd',
      'opt/',
      'opt/app/',
      'opt/app/.wh..wh..opq',
      'opt/app/new',
    ]);
    // Re-tarring is deterministic, so a committed layer's diffID is stable.
    assert.equal(sha256(await buffer(store.tar(b.chainID))), sha256(tar));
    const other = createLayerStore({ dataRoot: dataRoot() });
    const again = await other.extract(Readable.from([tar]), {
      parentChainID: null,
      expectedDiffID: sha256(tar),
    });
    assert.ok(lstatSync(join(other.diffDir(again.chainID), 'etc/motd')).isCharacterDevice());
  });

  test('tar() of a missing layer fails the stream', async () => {
    const store = createLayerStore({ dataRoot: dataRoot() });
    await assert.rejects(buffer(store.tar(`sha256:${'3'.repeat(64)}`)));
  });

  test('importRootfsTar makes a one-layer image root; a symlink "." in one layer cannot steer the next', async () => {
    const root = dataRoot();
    const outside = join(root, 'outside');
    mkdirSync(outside);
    const store = createLayerStore({ dataRoot: root });
    const rootfs = await buildTar([
      { name: './', type: 'directory' },
      { name: 'etc', type: 'symlink', linkname: outside },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', body: 'sh' },
    ]);
    const base = await importRootfsTar(store, Readable.from([gz(rootfs)]));
    assert.equal(base.diffID, sha256(rootfs));
    assert.equal(base.chainID, base.diffID);
    // The next layer writes etc/passwd: it lands in its own layer dir, not through the lower symlink.
    const next = await store.extract(
      Readable.from([await buildTar([{ name: 'etc/passwd', body: 'root:x:0:0::/:/bin/sh\n' }])]),
      { parentChainID: base.chainID },
    );
    assert.ok(statSync(join(store.diffDir(next.chainID), 'etc')).isDirectory());
    assert.deepEqual(readdirSync(outside), []);
  });
});

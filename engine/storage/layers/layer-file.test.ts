// extract() of a layer blob already on disk (LayerFile): the file is the
// extraction helper's stdin. Same diffIDs and defences as a stream.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { compress as zstdCompress } from 'zstd-napi';
import { isWharfError } from '../../errors.js';
import { isRoot } from '../../testing/busybox.js';
import { createLayerStore } from './index.js';
import { buildTar, sha256 } from './testing.js';
import { defaultUntarPath } from './untar.js';

const skip = !isRoot()
  ? 'needs root (the helper uses a mount namespace)'
  : !existsSync(defaultUntarPath())
    ? 'wharf-untar not built'
    : false;
if (skip) console.log(`# skipping layer file tests: ${skip}`);

describe('layer store: extract from a file', { skip }, () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const dir = (): string => {
    const d = mkdtempSync(join(tmpdir(), 'wharf-layer-file-'));
    dirs.push(d);
    return d;
  };
  const tmpLeft = (root: string): string[] => readdirSync(join(root, 'layers', 'tmp'));

  test('plain, gzip and zstd files give the diffID of the tar; progress reports the file size', async () => {
    const tar = await buildTar([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/motd', body: 'from a file\n' },
    ]);
    for (const [kind, blob] of [
      ['none', tar],
      ['gzip', gzipSync(tar)],
      ['zstd', await zstdCompress(tar)],
    ] as const) {
      const d = dir();
      const path = join(d, `blob-${kind}`);
      writeFileSync(path, blob);
      const store = createLayerStore({ dataRoot: d });
      let progress = 0;
      // Compression detected from the file's first bytes.
      const info = await store.extract({ path }, { parentChainID: null, onProgress: (n) => (progress = n) });
      assert.equal(info.diffID, sha256(tar), kind);
      assert.equal(progress, blob.length, kind);
      assert.equal(readFileSync(join(store.diffDir(info.chainID), 'etc/motd'), 'utf8'), 'from a file\n');
      // Declared compression, and an expected diffID that does not match.
      const other = createLayerStore({ dataRoot: dir() });
      await assert.rejects(
        other.extract(
          { path },
          { parentChainID: null, compression: kind, expectedDiffID: sha256(blob.subarray(1)) },
        ),
        (e) => isWharfError(e, 'LAYER_DIGEST_MISMATCH'),
      );
      assert.deepEqual(await other.list(), []);
    }
  });

  test('a hostile or broken file fails with the helper error and leaves nothing', async () => {
    const d = dir();
    const store = createLayerStore({ dataRoot: d });
    const evil = join(d, 'evil');
    writeFileSync(evil, gzipSync(await buildTar([{ name: '../escape', body: 'x' }])));
    await assert.rejects(store.extract({ path: evil }, { parentChainID: null }), (e) =>
      isWharfError(e, 'LAYER_INVALID'),
    );
    const cut = join(d, 'cut');
    const gz = gzipSync(await buildTar([{ name: 'f', body: 'f'.repeat(10000) }]));
    writeFileSync(cut, gz.subarray(0, gz.length - 4));
    await assert.rejects(
      store.extract({ path: cut }, { parentChainID: null }),
      (e) => isWharfError(e, 'LAYER_INVALID') && /gzip stream is truncated/.test(e.message),
    );
    assert.ok(!existsSync(join(d, '..', 'escape')));
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(tmpLeft(d), []);
  });

  test('an aborted extraction stops the helper and leaves nothing', async () => {
    const d = dir();
    const store = createLayerStore({ dataRoot: d });
    const path = join(d, 'big');
    const files = Array.from({ length: 64 }, (_, i) => ({ name: `f${i}`, body: Buffer.alloc(1 << 20, i) }));
    writeFileSync(path, gzipSync(await buildTar(files), { level: 1 }));
    const ac = new AbortController();
    const p = store.extract({ path }, { parentChainID: null, signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop')), 5);
    await assert.rejects(p, /stop/);
    assert.deepEqual(await store.list(), []);
    assert.deepEqual(tmpLeft(d), []);
  });
});

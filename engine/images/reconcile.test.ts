// reconcileStores() on data roots left as a crash leaves them: the on-disk
// state is written first, then the stores are opened afresh (a restart) and
// reconciled.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { OverlayLayerStore } from '../storage/layers/layer-store.js';
import { FileContentStore } from './content-store.js';
import { FsImageStore } from './image-store.js';
import type { Digest } from './index.js';
import { reconcileStores } from './reconcile.js';
import {
  configFor,
  digestOfBuffer,
  storeTestsSkip,
  layerDirs,
  leftovers,
  makeImage,
  openEnv,
  tarOf,
  type TestEnv,
} from './testing.js';

const skip = storeTestsSkip();
if (skip) console.log(`# skipping reconcile tests: ${skip}`);

/** Opens all three stores on `env.root` from scratch, as the daemon does at start. */
async function restart(env: TestEnv): Promise<TestEnv> {
  env.content = await FileContentStore.open(env.root);
  env.layers = new OverlayLayerStore({ dataRoot: env.root });
  env.store = await FsImageStore.open({ dataRoot: env.root, content: env.content, layers: env.layers });
  return env;
}

const hex = (d: Digest): string => d.slice('sha256:'.length);

describe('reconcileStores after a crash', { skip }, () => {
  const envs: TestEnv[] = [];
  after(async () => {
    for (const e of envs) await e.dispose();
  });
  async function env(): Promise<TestEnv> {
    const e = await openEnv();
    envs.push(e);
    return e;
  }

  const l0 = tarOf([{ name: 'etc/os-release', body: 'base\n' }]);
  const l1 = tarOf([{ name: 'app/a', body: 'a\n' }]);
  const l2 = tarOf([{ name: 'app/b', body: 'b\n' }]);

  it('drops references an add() acquired before it died, and layers left unregistered', async () => {
    const e = await env();
    const [t0, t1, t2] = await Promise.all([l0, l1, l2]);
    const a = await makeImage(e, { layers: [t0, t1], tags: ['a:1'] });
    const [c0, c1] = a.chainIDs as [Digest, Digest];

    // Crash 1, image B = [l0, l2]: its top layer extracted, its config blob
    // put, both layers acquired, then the process died before the record.
    const c2 = (
      await e.layers.extract(Readable.from([t2]), { parentChainID: c0, expectedDiffID: digestOfBuffer(t2) })
    ).chainID;
    await e.content.put(configFor({ layers: [t0, t2] }));
    await writeFile(join(e.layers.root, hex(c0), 'refs'), '2\n');
    await writeFile(join(e.layers.root, hex(c2), 'refs'), '1\n');
    await writeFile(join(e.layers.root, hex(c0), 'refs.1a2b3c.tmp'), '3\n'); // a torn refs write

    // Crash 2, a pull of [l3, l4] extracting out of order: l4 arrived (its
    // parent's chainID known from the config), l3 was still in layers/tmp.
    const t3 = await tarOf([{ name: 'srv/x', body: 'x\n' }]);
    const t4 = await tarOf([{ name: 'srv/y', body: 'y\n' }]);
    const c3 = digestOfBuffer(t3);
    const c4 = (
      await e.layers.extract(Readable.from([t4]), {
        parentChainID: c3,
        parentPending: true,
        expectedDiffID: digestOfBuffer(t4),
      })
    ).chainID;
    await mkdir(join(e.layers.root, 'tmp', 'x-crashed', 'diff', 'srv'), { recursive: true });
    await writeFile(join(e.layers.root, 'tmp', 'x-crashed', 'diff', 'srv', 'x'), 'half');
    await writeFile(join(e.root, 'blobs', 'tmp', 'partial-download'), 'half a blob');
    assert.deepEqual((await layerDirs(e)).sort(), [c0, c1, c2, c4].map(hex).sort());

    await restart(e);
    const report = await reconcileStores({ content: e.content, layers: e.layers, images: e.store });

    assert.deepEqual(report.refsFixed, [{ chainID: c0, was: 2, now: 1 }]);
    assert.deepEqual(report.layersRemoved.sort(), [c2, c4].sort());
    assert.deepEqual(report.brokenImages, []);
    assert.equal(report.removalSkipped, undefined);
    assert.deepEqual((await layerDirs(e)).sort(), [c0, c1].map(hex).sort());
    assert.equal(await e.layers.refs(c0), 1);
    assert.equal(await e.layers.refs(c1), 1);
    assert.deepEqual(await leftovers(e), []);
    assert.ok(!existsSync(join(e.layers.root, hex(c0), 'refs.1a2b3c.tmp')));
    assert.equal((await readFile(join(e.layers.diffDir(c1), 'app/a'))).toString(), 'a\n');

    // The counts are right: B can be added for real, and removing both images
    // removes every layer (a count left too high would keep l0 forever).
    const b = await makeImage(e, { layers: [t0, t2], tags: ['b:1'] });
    assert.equal(await e.layers.refs(c0), 2);
    await e.store.remove('a:1', { force: false, inUse: () => [] });
    await e.store.remove('b:1', { force: false, inUse: () => [] });
    assert.deepEqual(await layerDirs(e), []);
    assert.equal(await e.store.get(b.id), undefined);

    // Reconciling a clean store changes nothing.
    const again = await reconcileStores({ content: e.content, layers: e.layers, images: e.store });
    assert.deepEqual(again, { refsFixed: [], layersRemoved: [], brokenImages: [] });
  });

  it('raises a count that is too low and honours references held outside image records', async () => {
    const e = await env();
    const [t0, t1, t2] = await Promise.all([l0, l1, l2]);
    const a = await makeImage(e, { layers: [t0, t1] });
    const [c0, c1] = a.chainIDs as [Digest, Digest];
    const c2 = (
      await e.layers.extract(Readable.from([t2]), { parentChainID: c0, expectedDiffID: digestOfBuffer(t2) })
    ).chainID;
    await rm(join(e.layers.root, hex(c1), 'refs'));

    await restart(e);
    const report = await reconcileStores(
      { content: e.content, layers: e.layers, images: e.store },
      { extraRefs: [c0, c2] },
    );
    assert.deepEqual(
      report.refsFixed.sort((x, y) => (x.chainID < y.chainID ? -1 : 1)),
      [
        { chainID: c0, was: 1, now: 2 },
        { chainID: c1, was: 0, now: 1 },
        { chainID: c2, was: 0, now: 1 },
      ].sort((x, y) => (x.chainID < y.chainID ? -1 : 1)),
    );
    assert.deepEqual(report.layersRemoved, []);
    assert.equal(await e.layers.refs(c2), 1);
  });

  it('keeps layers that look unused while an image record is unreadable', async () => {
    const e = await env();
    const [t0, t1, t2] = await Promise.all([l0, l1, l2]);
    const a = await makeImage(e, { layers: [t0, t1] });
    const b = await makeImage(e, { layers: [t0, t2] });
    const c2 = b.chainIDs[1]!;
    await writeFile(join(e.root, 'images', `${hex(b.id)}.json`), '{ torn');
    await writeFile(join(e.layers.root, hex(a.chainIDs[1]!), 'refs'), '0\n'); // too low: a uses it

    await restart(e);
    assert.equal(e.store.damaged.length, 1);
    const report = await reconcileStores({ content: e.content, layers: e.layers, images: e.store });
    assert.match(report.removalSkipped ?? '', /1 image record/);
    assert.deepEqual(report.layersRemoved, []);
    assert.ok(await e.layers.has(c2));
    assert.equal(await e.layers.refs(c2), 1);
    // Raised, but never lowered while a record may hold the difference.
    assert.deepEqual(report.refsFixed, [{ chainID: a.chainIDs[1], was: 0, now: 1 }]);
    assert.equal(await e.layers.refs(a.chainIDs[0]!), 2);
  });

  it('reports an image whose layers are gone instead of guessing', async () => {
    const e = await env();
    const [t0, t1] = await Promise.all([l0, l1]);
    const a = await makeImage(e, { layers: [t0, t1] });
    await rm(join(e.layers.root, hex(a.chainIDs[1]!)), { recursive: true });
    await restart(e);
    const report = await reconcileStores({ content: e.content, layers: e.layers, images: e.store });
    assert.deepEqual(report.brokenImages, [{ id: a.id, missing: [a.chainIDs[1]] }]);
    assert.equal(await e.layers.refs(a.chainIDs[0]!), 1);
  });
});

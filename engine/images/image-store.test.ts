// The image store on a real data root: real content store, real layer store
// (confined extraction through wharf-untar), Docker's reference forms, rmi
// semantics and history.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, before, after } from 'node:test';
import { isWharfError } from '../errors.js';
import type { Digest } from './index.js';
import { imageHistory, inspectImage } from './inspect.js';
import { shortId } from './image-store.js';
import {
  digestOfBuffer,
  storeTestsSkip,
  layerDirs,
  makeImage,
  openEnv,
  tarOf,
  type TestEnv,
} from './testing.js';

const skip = storeTestsSkip();
if (skip) console.log(`# skipping image store tests: ${skip}`);

const none = () => [];

async function rejectsWith(p: Promise<unknown>, code: string, message?: string): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isWharfError(err), `expected a WharfError, got ${String(err)}`);
    assert.equal(err.code, code);
    if (message !== undefined) assert.equal(err.message, message);
    return true;
  });
}

describe('image store', { skip }, () => {
  let env: TestEnv;
  let base: Buffer;
  let mid: Buffer;
  let top: Buffer;
  before(async () => {
    env = await openEnv();
    base = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', body: 'ID=fixture\n' },
    ]);
    mid = await tarOf([
      { name: 'app/', type: 'directory' },
      { name: 'app/run.sh', body: '#!/bin/sh\necho hi\n', mode: 0o755 },
    ]);
    top = await tarOf([{ name: 'app/data.txt', body: 'data\n' }]);
  });
  after(async () => {
    await env?.dispose();
  });

  it('resolves every reference form Docker accepts', async () => {
    const manifest = `sha256:${'ab'.repeat(32)}` as Digest;
    const img = await makeImage(env, {
      layers: [base],
      gzip: true,
      cmd: ['forms'],
      tags: ['forms:1', 'localhost:5000/ns/forms:v2'],
      repoDigest: `docker.io/library/forms@${manifest}`,
    });
    const hex = img.id.slice('sha256:'.length);
    for (const form of [
      img.id,
      hex,
      hex.slice(0, 12),
      hex.slice(0, 5),
      `sha256:${hex.slice(0, 12)}`,
      'forms:1',
      'docker.io/library/forms:1',
      'library/forms:1',
      'index.docker.io/library/forms:1',
      `forms@${manifest}`,
      `docker.io/library/forms@${manifest}`,
      'localhost:5000/ns/forms:v2',
    ]) {
      assert.equal((await env.store.get(form))?.id, img.id, `get(${form})`);
    }
    for (const miss of [
      'forms',
      'forms:2',
      'localhost:5000/ns/forms',
      `forms@sha256:${'cd'.repeat(32)}`,
      'zzzz',
    ]) {
      assert.equal(await env.store.get(miss), undefined, `get(${miss})`);
    }
    await env.store.tag(img.id, 'forms');
    assert.equal((await env.store.get('forms'))?.id, img.id);
    const r = (await env.store.get('forms:1'))!;
    assert.deepEqual(r.repoDigests, [`docker.io/library/forms@${manifest}`]);
    assert.deepEqual(env.store.tagsOf(img.id).sort(), [
      'docker.io/library/forms:1',
      'docker.io/library/forms:latest',
      'localhost:5000/ns/forms:v2',
    ]);

    // The config is kept byte for byte: the ID is its sha256.
    assert.equal(digestOfBuffer(await env.content.readBuffer(img.id)), img.id);
    const info = inspectImage(env.store, r);
    assert.deepEqual(info.RepoTags.sort(), ['forms:1', 'forms:latest', 'localhost:5000/ns/forms:v2']);
    assert.deepEqual(info.RepoDigests, [`forms@${manifest}`]);
    assert.deepEqual(info.RootFS, { Type: 'layers', Layers: [digestOfBuffer(base)] });
    assert.deepEqual(info.Config.Cmd, ['forms']);
    assert.equal(info.Architecture, 'amd64');
    assert.equal(info.Os, 'linux');
    assert.ok(info.Size > 0);
    assert.equal(info.Size, (await env.layers.get(img.chainIDs[0]!))!.size);

    // A restart sees the same records and tags.
    const reopened = await env.reopen();
    assert.equal((await reopened.get(`forms@${manifest}`))?.id, img.id);
    assert.deepEqual(reopened.tagsOf(img.id).length, 3);
    await env.store.remove(img.id, { force: true, inUse: none });
  });

  it('rmi of one of several tags only untags; the last reference deletes image and layers', async () => {
    const img = await makeImage(env, {
      layers: [base, mid],
      cmd: ['untag'],
      tags: ['untag-a:1', 'untag-b:1'],
    });
    assert.deepEqual(await env.store.remove('untag-a:1', { force: false, inUse: none }), [
      { Untagged: 'untag-a:1' },
    ]);
    assert.ok(await env.store.get(img.id));
    const res = await env.store.remove('untag-b:1', { force: false, inUse: none });
    assert.deepEqual(res, [
      { Untagged: 'untag-b:1' },
      { Deleted: img.id },
      { Deleted: img.chainIDs[1] },
      { Deleted: img.chainIDs[0] },
    ]);
    assert.equal(await env.store.get(img.id), undefined);
    assert.equal(await env.content.has(img.id), false, 'config blob removed');
    for (const b of img.layerBlobs) assert.equal(await env.content.has(b!), false, 'layer blob removed');
    assert.equal(existsSync(join(env.root, 'images', `${img.id.slice(7)}.json`)), false);
    await rejectsWith(
      env.store.remove('untag-b:1', { force: false, inUse: none }),
      'IMAGE_NOT_FOUND',
      'No such image: untag-b:1',
    );
  });

  it('rmi conflicts with containers as Docker words them', async () => {
    const img = await makeImage(env, { layers: [base], cmd: ['conflict'], tags: ['busy:1'] });
    const ctr = 'c0ffee'.repeat(10) + 'abcd';
    const stopped = () => [{ id: ctr, running: false }];
    const running = () => [{ id: ctr, running: true }];
    await rejectsWith(
      env.store.remove('busy:1', { force: false, inUse: stopped }),
      'IMAGE_CONFLICT',
      `conflict: unable to remove repository reference "busy:1" (must force) - container ${ctr.slice(0, 12)} is using its referenced image ${shortId(img.id)}`,
    );
    await rejectsWith(
      env.store.remove(shortId(img.id), { force: false, inUse: stopped }),
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is being used by stopped container ${ctr.slice(0, 12)}`,
    );
    await rejectsWith(
      env.store.remove(img.id, { force: true, inUse: running }),
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${shortId(img.id)} (cannot be forced) - image is being used by running container ${ctr.slice(0, 12)}`,
    );
    // Forced by tag while running: the tag goes, the image stays (dangling), as with Docker.
    assert.deepEqual(await env.store.remove('busy:1', { force: true, inUse: running }), [
      { Untagged: 'busy:1' },
    ]);
    assert.ok(await env.store.get(img.id));
    assert.deepEqual(env.store.tagsOf(img.id), []);
    // Forced by ID once stopped: deleted.
    const res = await env.store.remove(img.id, { force: true, inUse: stopped });
    assert.deepEqual(res.slice(0, 1), [{ Deleted: img.id }]);
    assert.equal(await env.store.get(img.id), undefined);
  });

  it('rmi by ID of an image in several repositories needs force', async () => {
    const img = await makeImage(env, { layers: [base], cmd: ['multi'], tags: ['multi-a:1', 'multi-b:2'] });
    await rejectsWith(
      env.store.remove(shortId(img.id), { force: false, inUse: none }),
      'IMAGE_CONFLICT',
      `conflict: unable to delete ${shortId(img.id)} (must be forced) - image is referenced in multiple repositories`,
    );
    const res = await env.store.remove(shortId(img.id), { force: true, inUse: none });
    assert.deepEqual(res.slice(0, 3), [
      { Untagged: 'multi-a:1' },
      { Untagged: 'multi-b:2' },
      { Deleted: img.id },
    ]);

    // One repository with a tag and a digest ref counts as a single reference.
    const manifest = `sha256:${'12'.repeat(32)}`;
    const one = await makeImage(env, {
      layers: [base],
      cmd: ['single'],
      tags: ['single:1'],
      repoDigest: `single@${manifest}`,
    });
    const res2 = await env.store.remove(shortId(one.id), { force: false, inUse: none });
    assert.deepEqual(res2.slice(0, 3), [
      { Untagged: 'single:1' },
      { Untagged: `single@${manifest}` },
      { Deleted: one.id },
    ]);
  });

  it('removing the last tag of a repository drops its digest references too', async () => {
    const manifest = `sha256:${'34'.repeat(32)}`;
    const img = await makeImage(env, {
      layers: [base],
      cmd: ['dig'],
      tags: ['dig:1', 'other:1'],
      repoDigest: `dig@${manifest}`,
    });
    assert.deepEqual(await env.store.remove('dig:1', { force: false, inUse: none }), [
      { Untagged: 'dig:1' },
      { Untagged: `dig@${manifest}` },
    ]);
    assert.deepEqual(env.store.tagsOf(img.id), ['docker.io/library/other:1']);
    await env.store.remove('other:1', { force: false, inUse: none });
  });

  it('shared layers survive until the last image using them goes', async () => {
    const a = await makeImage(env, { layers: [base, mid], cmd: ['a'], tags: ['share-a:1'], gzip: true });
    const b = await makeImage(env, { layers: [base, top], cmd: ['b'], tags: ['share-b:1'] });
    assert.equal(a.chainIDs[0], b.chainIDs[0]);
    const baseDir = env.layers.diffDir(a.chainIDs[0]!);
    assert.equal(await readFile(join(baseDir, 'etc/os-release'), 'utf8'), 'ID=fixture\n');
    const resA = await env.store.remove('share-a:1', { force: false, inUse: none });
    assert.deepEqual(resA, [{ Untagged: 'share-a:1' }, { Deleted: a.id }, { Deleted: a.chainIDs[1] }]);
    assert.ok(existsSync(baseDir), 'the base layer is still used by share-b');
    assert.equal(existsSync(env.layers.diffDir(a.chainIDs[1]!)), false);
    const resB = await env.store.remove('share-b:1', { force: false, inUse: none });
    assert.deepEqual(resB.at(-1), { Deleted: b.chainIDs[0] });
    assert.equal(existsSync(baseDir), false, 'the base layer went with its last user');
    assert.deepEqual(await layerDirs(env), []);
  });

  it('history shows local images for steps it has and <missing> for the rest', async () => {
    const t0 = '2024-01-01T00:00:00Z';
    const baseHistory = [
      { created: t0, created_by: '/bin/sh -c #(nop) ADD file:abc in / ' },
      { created: t0, created_by: '/bin/sh -c #(nop)  CMD ["sh"]', empty_layer: true },
    ];
    const b = await makeImage(env, { layers: [base], history: baseHistory, tags: ['hbase:1'] });
    const t1 = '2024-02-01T00:00:00Z';
    const d = await makeImage(env, {
      layers: [base, mid],
      history: [
        ...baseHistory,
        { created: t1, created_by: '/bin/sh -c mkdir /app', comment: 'build step' },
        { created: t1, created_by: '/bin/sh -c #(nop)  CMD ["/app/run.sh"]', empty_layer: true },
      ],
      tags: ['hderived:1'],
    });
    const h = await imageHistory(env.store, d);
    const baseSize = (await env.layers.get(b.chainIDs[0]!))!.size;
    const midSize = (await env.layers.get(d.chainIDs[1]!))!.size;
    assert.deepEqual(
      h.map((x) => [x.Id, x.CreatedBy, x.Size, x.Tags]),
      [
        [d.id, '/bin/sh -c #(nop)  CMD ["/app/run.sh"]', 0, ['hderived:1']],
        ['<missing>', '/bin/sh -c mkdir /app', midSize, null],
        [b.id, '/bin/sh -c #(nop)  CMD ["sh"]', 0, ['hbase:1']],
        ['<missing>', '/bin/sh -c #(nop) ADD file:abc in / ', baseSize, null],
      ],
    );
    assert.equal(h[1]!.Comment, 'build step');
    assert.equal(h[0]!.Created, Date.parse(t1) / 1000);
    await env.store.remove('hderived:1', { force: false, inUse: none });
    await env.store.remove('hbase:1', { force: false, inUse: none });
  });

  it('opens a store with a damaged record, reporting it', async () => {
    const own = await openEnv();
    try {
      const img = await makeImage(own, { layers: [base], cmd: ['damaged'], tags: ['damaged:1'] });
      const ok = await makeImage(own, { layers: [base], cmd: ['fine'], tags: ['fine:1'] });
      await own.content.delete(img.id);
      const store = await own.reopen();
      assert.equal(store.damaged.length, 1);
      assert.ok(isWharfError(store.damaged[0], 'STORE_CORRUPT'));
      assert.equal(await store.get('damaged:1'), undefined);
      assert.equal((await store.get('fine:1'))?.id, ok.id);
    } finally {
      await own.dispose();
    }
  });

  it('add is idempotent and rejects configs whose layers are not stored', async () => {
    const img = await makeImage(env, { layers: [base], cmd: ['idem'], tags: ['idem:1'] });
    const again = await env.store.add(await env.content.readBuffer(img.id), img.layerBlobs);
    assert.equal(again.id, img.id);
    assert.equal(await env.layers.refs(img.chainIDs[0]!), 1, 'a second add takes no second reference');
    const missing = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        rootfs: { type: 'layers', diff_ids: [`sha256:${'9'.repeat(64)}`] },
      }),
    );
    await rejectsWith(env.store.add(missing, []), 'INVALID_ARGUMENT');
    await rejectsWith(env.store.add(Buffer.from('{"rootfs":1}'), []), 'INVALID_ARGUMENT');
    await env.store.remove('idem:1', { force: false, inUse: none });
    assert.deepEqual(await layerDirs(env), []);
  });
});

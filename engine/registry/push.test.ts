// Push to a real docker-registry, checked with skopeo inspect (issue 3, case 10).
import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest } from '../images/index.js';
import { isRoot } from '../testing/busybox.js';
import { RegistryClient } from './client.js';
import type { ProgressEvent } from './progress.js';
import { pull } from './pull.js';
import { push } from './push.js';
import {
  haveRegistryTools,
  openStores,
  skopeoInspect,
  skopeoPush,
  startRegistry,
  tarFiles,
  writeOciLayout,
  type BuiltImage,
  type RunningRegistry,
} from './testing.js';

const skip = !isRoot() ? 'needs root (layer extraction)' : haveRegistryTools();
if (skip) console.log(`# skipping push tests: ${skip}`);

describe('push to a real registry', { skip }, () => {
  let reg: RunningRegistry;
  let other: RunningRegistry;
  let work: string;
  let img: BuiltImage;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-push-test-'));
    reg = await startRegistry();
    other = await startRegistry();
    const layers = [
      await tarFiles({ 'bin/tool': 'x'.repeat(200000), 'etc/os-release': 'ID=test\n' }),
      await tarFiles({ 'app/main': 'y'.repeat(50000) }),
    ];
    img = (await writeOciLayout(join(work, 'layout'), 'src', [{ layers, format: 'oci' }])).images[0]!;
    await skopeoPush(join(work, 'layout'), 'src', `${reg.host}/team/src:1`);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await reg?.stop();
    await other?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function pulled() {
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-push-data-'));
    const stores = await openStores(dataRoot);
    const client = new RegistryClient();
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    const deps = { client, ...stores };
    const res = await pull(deps, `${reg.host}/team/src:1`);
    return { deps, image: res.image };
  }

  it('pushes to another registry; skopeo sees the same digests', async () => {
    const { deps, image } = await pulled();
    await deps.images.tag(image.id, `${other.host}/copy/img:v2`);
    const events: ProgressEvent[] = [];
    const res = await push(deps, `${other.host}/copy/img:v2`, { onProgress: (e) => events.push(e) });
    assert.deepEqual(
      res.layers.map((l) => [l.digest, l.result]),
      img.layerDigests.map((d) => [d, 'pushed']),
    );
    assert.equal(res.digest, img.manifestDigest, 'the original manifest is pushed byte for byte');
    const seen = await skopeoInspect(`${other.host}/copy/img:v2`);
    assert.equal(seen.Digest, img.manifestDigest);
    assert.deepEqual(seen.Layers, img.layerDigests);
    const id = img.layerDigests[0]!.slice(7, 19);
    const statuses = events.filter((e) => e.id === id).map((e) => e.status);
    for (const s of ['Preparing', 'Pushing', 'Pushed'])
      assert.ok(statuses.includes(s), `${s} in ${statuses.join(',')}`);
    assert.ok(
      events.some((e) => e.status === `v2: digest: ${img.manifestDigest} size: ${img.manifest.length}`),
    );

    // Again: every layer is already there.
    const again = await push(deps, `${other.host}/copy/img:v2`);
    assert.deepEqual(
      again.layers.map((l) => l.result),
      ['exists', 'exists'],
    );
  });

  it('mounts layers from the repository the image came from on the same registry', async () => {
    const { deps, image } = await pulled();
    await deps.images.tag(image.id, `${reg.host}/elsewhere/img:1`);
    const events: ProgressEvent[] = [];
    const res = await push(deps, `${reg.host}/elsewhere/img:1`, { onProgress: (e) => events.push(e) });
    assert.deepEqual(
      res.layers.map((l) => l.result),
      ['mounted', 'mounted'],
    );
    assert.ok(events.some((e) => e.status === `Mounted from ${reg.host}/team/src`));
    assert.deepEqual((await skopeoInspect(`${reg.host}/elsewhere/img:1`)).Layers, img.layerDigests);
  });

  it('pushes a layer that has no compressed blob by gzipping its tar, in chunks', async () => {
    const { deps, image } = await pulled();
    // A "committed" layer: content made by the layer store itself, no blob.
    const tar = deps.layers.tar(image.chainIDs[1]!);
    const chunks: Buffer[] = [];
    for await (const c of tar as AsyncIterable<Buffer>) chunks.push(c);
    const tarBytes = Buffer.concat(chunks);
    const diffID: Digest = `sha256:${createHash('sha256').update(tarBytes).digest('hex')}`;
    const { Readable } = await import('node:stream');
    const info = await deps.layers.extract(Readable.from([tarBytes]), {
      parentChainID: image.chainIDs[0]!,
      expectedDiffID: diffID,
    });
    const config = {
      ...image.config,
      rootfs: { type: 'layers' as const, diff_ids: [image.config.rootfs.diff_ids[0]!, diffID] },
    };
    const committed = await deps.images.add(Buffer.from(JSON.stringify(config)), [
      image.layerBlobs[0]!,
      null,
    ]);
    assert.equal(committed.chainIDs[1], info.chainID);
    await deps.images.tag(committed.id, `${other.host}/committed/img:1`);

    const res = await push(deps, `${other.host}/committed/img:1`, { chunkSize: 16 * 1024 });
    assert.equal(res.layers[1]!.result, 'pushed');
    const seen = await skopeoInspect(`${other.host}/committed/img:1`);
    assert.deepEqual(
      seen.Layers,
      res.layers.map((l) => l.digest),
    );
    assert.equal(seen.Digest, res.digest);

    // And it pulls back into an empty store: the diffIDs match the config.
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-push-back-'));
    const fresh = await openStores(dataRoot);
    const client = new RegistryClient();
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    const back = await pull({ client, ...fresh }, `${other.host}/committed/img:1`);
    assert.equal(back.image.id, committed.id);
  });

  it('fails clearly for an image that does not exist locally', async () => {
    const { deps } = await pulled();
    await assert.rejects(push(deps, `${other.host}/nope:1`), /No such image/);
  });
});

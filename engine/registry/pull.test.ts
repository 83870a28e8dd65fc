// Pull from a real docker-registry on 127.0.0.1, fed by skopeo, into the real
// content, layer and image stores (issue 3, cases 1, 2, 4).
import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isWharfError } from '../errors.js';
import { isRoot, makeBusyboxRootfs } from '../testing/busybox.js';
import { RegistryClient } from './client.js';
import type { ProgressEvent } from './progress.js';
import { pull } from './pull.js';
import {
  haveRegistryTools,
  openStores,
  skopeoPush,
  startRegistry,
  tarDir,
  tarFiles,
  writeDirLayout,
  writeOciLayout,
  type BuiltImage,
  type RunningRegistry,
} from './testing.js';

const skip = !isRoot()
  ? 'needs root (layer extraction keeps ownership and device nodes)'
  : haveRegistryTools();
if (skip) console.log(`# skipping pull tests: ${skip}`);

describe('pull from a real registry', { skip }, () => {
  let reg: RunningRegistry;
  let work: string;
  let base: BuiltImage;
  let app: BuiltImage;
  let multi: { digest: string; images: BuiltImage[] };
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-pull-test-'));
    reg = await startRegistry();
    const rootfs = makeBusyboxRootfs(join(work, 'rootfs'));
    const baseTar = await tarDir(rootfs);
    const layout = join(work, 'layout');
    base = await writeDirLayout(join(work, 'busybox-dir'), { layers: [baseTar], format: 'docker' });
    const l2 = await tarFiles({ 'etc/app.conf': 'answer=42\n', 'opt/app/data': 'x'.repeat(100000) });
    const l3 = await tarFiles({ 'opt/app/run.sh': '#!/bin/sh\necho hi\n' });
    app = (await writeOciLayout(layout, 'app', [{ layers: [baseTar, l2, l3] }])).images[0]!;
    multi = await writeOciLayout(layout, 'multi', [
      { layers: [await tarFiles({ 'arch.txt': 'arm64\n' })], architecture: 'arm64', variant: 'v8' },
      { layers: [await tarFiles({ 'arch.txt': 'amd64\n' })], architecture: 'amd64' },
      { layers: [await tarFiles({ 'arch.txt': 'armv7\n' })], architecture: 'arm', variant: 'v7' },
    ]);
    await skopeoPush(join(work, 'busybox-dir'), '', `${reg.host}/library/busybox:1`);
    await skopeoPush(layout, 'app', `${reg.host}/team/app:1`);
    await skopeoPush(layout, 'multi', `${reg.host}/multi:1`);
  });

  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  async function setup(): Promise<{ client: RegistryClient } & Awaited<ReturnType<typeof openStores>>> {
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-pull-data-'));
    const stores = await openStores(dataRoot);
    const client = new RegistryClient();
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    return { client, ...stores };
  }

  it('pulls a busybox image with progress in Docker shape', async () => {
    const deps = await setup();
    const events: ProgressEvent[] = [];
    const res = await pull(deps, `${reg.host}/library/busybox:1`, { onProgress: (e) => events.push(e) });
    assert.equal(res.image.id, base.configDigest);
    assert.equal(res.digest, base.manifestDigest);
    assert.deepEqual(res.downloaded, base.layerDigests);
    const diff = deps.layers.diffDir(res.image.chainIDs[0]!);
    assert.ok((await stat(join(diff, 'bin/busybox'))).isFile());
    assert.equal(await deps.content.has(base.layerDigests[0]!), true);
    assert.deepEqual(deps.images.tagsOf(res.image.id), [`${reg.host}/library/busybox:1`]);
    assert.deepEqual(res.image.repoDigests, [`${reg.host}/library/busybox@${base.manifestDigest}`]);
    assert.deepEqual((await deps.images.get(`${reg.host}/library/busybox:1`))?.id, res.image.id);

    const id = base.layerDigests[0]!.slice(7, 19);
    const statuses = events.filter((e) => e.id === id).map((e) => e.status);
    for (const s of [
      'Pulling fs layer',
      'Downloading',
      'Verifying Checksum',
      'Download complete',
      'Extracting',
      'Pull complete',
    ]) {
      assert.ok(statuses.includes(s), `missing "${s}" in ${statuses.join(', ')}`);
    }
    const dl = events.find((e) => e.status === 'Downloading' && e.progressDetail?.current);
    assert.equal(dl?.progressDetail?.total, (await stat(deps.content.path(base.layerDigests[0]!))).size);
    assert.ok(events.some((e) => e.status === `Digest: ${base.manifestDigest}`));
    assert.ok(events.some((e) => e.status.startsWith('Status: Downloaded newer image for')));

    // Again: nothing to download.
    const again: ProgressEvent[] = [];
    const res2 = await pull(deps, `${reg.host}/library/busybox:1`, { onProgress: (e) => again.push(e) });
    assert.deepEqual(res2.downloaded, []);
    assert.ok(again.some((e) => e.status === 'Already exists' && e.id === id));
    assert.ok(again.some((e) => e.status.startsWith('Status: Image is up to date for')));
  });

  it('downloads only the layers a second image adds and shares the base layer dir', async () => {
    const deps = await setup();
    const first = await pull(deps, `${reg.host}/library/busybox:1`);
    const baseDir = deps.layers.diffDir(first.image.chainIDs[0]!);
    const ino = (await stat(baseDir)).ino;
    const events: ProgressEvent[] = [];
    const res = await pull(deps, `${reg.host}/team/app:1`, { onProgress: (e) => events.push(e) });
    assert.deepEqual(res.downloaded, app.layerDigests.slice(1));
    assert.deepEqual(res.existed, [first.image.chainIDs[0]]);
    assert.ok(
      events.some((e) => e.status === 'Already exists' && e.id === base.layerDigests[0]!.slice(7, 19)),
    );
    assert.equal(res.image.chainIDs[0], first.image.chainIDs[0]);
    assert.equal(deps.layers.diffDir(res.image.chainIDs[0]!), baseDir);
    assert.equal((await stat(baseDir)).ino, ino);
    assert.equal(await deps.layers.refs(res.image.chainIDs[0]!), 2);
    assert.equal(
      await readFile(join(deps.layers.diffDir(res.image.chainIDs[1]!), 'etc/app.conf'), 'utf8'),
      'answer=42\n',
    );
    const layerDirs = (await readdir(deps.layers.root)).filter((n) => /^[0-9a-f]{64}$/.test(n));
    assert.equal(layerDirs.length, 3);
  });

  it('picks linux/amd64 from a multi-architecture index', async () => {
    const deps = await setup();
    const res = await pull(deps, `${reg.host}/multi:1`);
    assert.equal(res.digest, multi.digest);
    assert.equal(res.image.id, multi.images[1]!.configDigest);
    assert.equal(res.image.config.architecture, 'amd64');
    assert.equal(
      await readFile(join(deps.layers.diffDir(res.image.chainIDs[0]!), 'arch.txt'), 'utf8'),
      'amd64\n',
    );
    assert.deepEqual(res.image.repoDigests, [`${reg.host}/multi@${multi.digest}`]);
    const arm = await pull(deps, `${reg.host}/multi:1`, {
      platform: { os: 'linux', architecture: 'arm', variant: 'v7' },
    });
    assert.equal(arm.image.id, multi.images[2]!.configDigest);
  });

  it('pulls by digest, in tee mode, one download at a time', async () => {
    const deps = await setup();
    const res = await pull(deps, `${reg.host}/team/app@${app.manifestDigest}`, {
      mode: 'tee',
      concurrency: 1,
    });
    assert.equal(res.image.id, app.configDigest);
    assert.deepEqual(res.downloaded, app.layerDigests);
    assert.deepEqual(deps.images.tagsOf(res.image.id), []);
    assert.ok(existsSync(join(deps.layers.diffDir(res.image.chainIDs[2]!), 'opt/app/run.sh')));
  });

  it('pulls docker.io images through a configured mirror', async () => {
    const dataRoot = await mkdtemp(join(tmpdir(), 'wharf-pull-data-'));
    const stores = await openStores(dataRoot);
    const client = new RegistryClient({ mirrors: [`http://${reg.host}`] });
    cleanups.push(async () => {
      await client.close();
      await rm(dataRoot, { recursive: true, force: true });
    });
    const res = await pull({ client, ...stores }, 'busybox:1');
    assert.equal(res.image.id, base.configDigest);
    assert.equal(res.reference, 'docker.io/library/busybox:1');
    assert.deepEqual(stores.images.tagsOf(res.image.id), ['docker.io/library/busybox:1']);
  });

  it('fails clearly for an unknown tag and an unknown repository', async () => {
    const deps = await setup();
    await assert.rejects(pull(deps, `${reg.host}/team/app:nope`), (e: unknown) => {
      return isWharfError(e, 'MANIFEST_UNKNOWN') && /manifest for .*team\/app:nope not found/.test(e.message);
    });
    await assert.rejects(pull(deps, `${reg.host}/nobody/here`), (e: unknown) =>
      isWharfError(e, 'MANIFEST_UNKNOWN'),
    );
  });
});

// save / load / import against the real stores, and against tools we did not
// write: skopeo reads Wharf's archives and writes archives Wharf loads; umoci
// unpacks Wharf's OCI layout.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { isWharfError } from '../../errors.js';
import { hostPlatform } from '../../registry/manifest.js';
import type { Digest } from '../index.js';
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
} from '../testing.js';
import { importImage } from './import.js';
import { loadImages } from './load.js';
import { saveImages, type SaveFormat } from './save.js';

const run = promisify(execFile);

function which(tool: string): boolean {
  return ['/usr/bin', '/usr/local/bin', '/bin', '/usr/sbin'].some((d) => existsSync(join(d, tool)));
}

const skip = storeTestsSkip();
const noSkopeo = skip || (!which('skopeo') && 'skopeo is not installed (apt-get install skopeo)');
const noUmoci = skip || (!which('umoci') && 'umoci is not installed (apt-get install umoci)');
for (const [what, why] of [
  ['archive tests', skip],
  ['skopeo interop tests', noSkopeo],
  ['umoci interop tests', noUmoci],
] as const) {
  if (why) console.log(`# skipping ${what}: ${why}`);
}

async function bufferOf(s: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** Rewrites a tar, passing each file's body through `edit`. */
async function repack(archive: Buffer, edit: (name: string, body: Buffer) => Buffer): Promise<Buffer> {
  const ex = tar.extract();
  const pack = tar.pack();
  const out = bufferOf(Readable.from(pack as AsyncIterable<Buffer>));
  Readable.from([archive]).pipe(ex);
  for await (const entry of ex) {
    const body = await bufferOf(Readable.from(entry));
    const h = entry.header;
    const b = h.type === 'file' ? edit(h.name, body) : body;
    await new Promise<void>((res, rej) =>
      pack.entry({ ...h, size: b.length }, b, (e) => (e ? rej(e) : res())),
    );
  }
  pack.finalize();
  return out;
}

async function tarFileList(archive: Buffer): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  await repack(archive, (name, body) => {
    files.set(name, body);
    return body;
  });
  return files;
}

async function expectClean(env: TestEnv): Promise<void> {
  assert.deepEqual(await env.store.list(), [], 'no image');
  assert.deepEqual(await layerDirs(env), [], 'no layer');
  assert.deepEqual(await leftovers(env), [], 'no temp files');
  assert.deepEqual(await env.content.list(), [], 'no blob');
}

async function rejectsArchive(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(isWharfError(err), `expected a WharfError, got ${String(err)}`);
    assert.equal(err.code, 'ARCHIVE_INVALID');
    assert.match(err.message, pattern);
    return true;
  });
}

describe('save, load and import', { skip }, () => {
  let work: string;
  let src: TestEnv;
  let base: Buffer;
  let app: Buffer;
  let extra: Buffer;
  let a: { id: Digest };
  let b: { id: Digest };
  const envs: TestEnv[] = [];
  const fresh = async () => {
    const e = await openEnv();
    envs.push(e);
    return e;
  };
  const save = async (names: string[], format: SaveFormat = 'docker') =>
    bufferOf(saveImages(src.store, names, { format }));

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-archive-'));
    src = await fresh();
    base = await tarOf([
      { name: 'etc/', type: 'directory' },
      { name: 'etc/os-release', body: 'ID=fixture\n' },
      { name: 'bin/', type: 'directory' },
      { name: 'bin/sh', type: 'symlink', linkname: 'busybox' },
    ]);
    app = await tarOf([
      { name: 'app/', type: 'directory' },
      { name: 'app/run.sh', body: '#!/bin/sh\necho hello\n', mode: 0o755 },
      { name: 'etc/.wh.os-release' },
    ]);
    extra = await tarOf([{ name: 'extra.txt', body: 'x'.repeat(100_000) }]);
    a = await makeImage(src, { layers: [base, app], gzip: true, cmd: ['a'], tags: ['rt-a:v1', 'rt-a:v2'] });
    b = await makeImage(src, { layers: [base, extra], cmd: ['b'], tags: ['localhost:5000/rt/b:v1'] });
  });
  after(async () => {
    for (const e of envs) await e.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  for (const format of ['docker', 'oci'] as const) {
    it(`save -> load round trip (${format}): same IDs, diffIDs, tags and files`, async () => {
      const archive = await save(['rt-a:v1', 'localhost:5000/rt/b:v1', b.id], format);
      const files = await tarFileList(archive);
      assert.ok(files.has('oci-layout') && files.has('index.json'));
      assert.equal(files.has('manifest.json'), format === 'docker');
      const dst = await fresh();
      const loaded = await loadImages(dst.store, Readable.from([archive]));
      assert.deepEqual(loaded.map((l) => l.id).sort(), [a.id, b.id].sort());
      const la = (await dst.store.get('rt-a:v1'))!;
      assert.equal(la.id, a.id);
      assert.equal(await dst.store.get('rt-a:v2'), undefined, 'only the tag asked for');
      assert.equal((await dst.store.get('localhost:5000/rt/b:v1'))?.id, b.id);
      assert.deepEqual(la.config.rootfs.diff_ids, [digestOfBuffer(base), digestOfBuffer(app)]);
      assert.deepEqual(la.chainIDs, a.id === la.id ? (await src.store.get(a.id))!.chainIDs : []);
      const top = dst.layers.diffDir(la.chainIDs[1]!);
      assert.equal(await readFile(join(top, 'app/run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
      assert.deepEqual(await leftovers(dst), []);
      // The base layer is stored once for both images.
      assert.equal((await layerDirs(dst)).length, 3);

      // What was loaded saves again to the same images (the exact layer bytes were kept).
      const again = await bufferOf(saveImages(dst.store, ['rt-a:v1'], { format }));
      const third = await fresh();
      const [re] = await loadImages(third.store, Readable.from([gzipSync(again)]));
      assert.equal(re?.id, a.id);
    });
  }

  it('save by repository name takes all its tags; by ID none', async () => {
    const files = await tarFileList(await save(['rt-a', b.id.slice(7, 19)]));
    const manifest = JSON.parse(files.get('manifest.json')!.toString()) as {
      Config: string;
      RepoTags: string[] | null;
    }[];
    assert.deepEqual(
      manifest.map((m) => m.RepoTags),
      [['rt-a:v1', 'rt-a:v2'], null],
    );
    assert.deepEqual(JSON.parse(files.get('repositories')!.toString()), {
      'rt-a': { v1: digestOfBuffer(app).slice(7), v2: digestOfBuffer(app).slice(7) },
    });
    // Layers are plain tars named by diffID; configs by image ID.
    assert.equal(manifest[0]!.Config, `blobs/sha256/${a.id.slice(7)}`);
    assert.deepEqual(files.get(`blobs/sha256/${digestOfBuffer(app).slice(7)}`), app);
    await assert.rejects(bufferOf(saveImages(src.store, ['nope:1'])), /No such image: nope:1/);
  });

  it('loads the legacy docker-archive layout: layers out of order, a repeated layer as a symlink', async () => {
    const config = configFor({ layers: [base, app, base], cmd: ['legacy'] });
    const id = digestOfBuffer(config);
    const pack = tar.pack();
    const out = bufferOf(Readable.from(pack as AsyncIterable<Buffer>));
    const add = (h: Parameters<tar.Pack['entry']>[0], body?: Buffer) =>
      new Promise<void>((res, rej) => {
        const cb = (e?: Error | null) => (e ? rej(e) : res());
        if (body) pack.entry(h, body, cb);
        else pack.entry(h, cb);
      });
    const manifest = [
      {
        Config: `${id.slice(7)}.json`,
        RepoTags: ['legacy:1'],
        Layers: ['l1/layer.tar', 'l2/layer.tar', 'l3/layer.tar'],
      },
    ];
    await add({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)));
    await add({ name: `${id.slice(7)}.json` }, config);
    await add({ name: 'l3/layer.tar', type: 'symlink', linkname: '../l1/layer.tar' });
    await add({ name: 'l2/layer.tar' }, app);
    await add({ name: 'l1/layer.tar' }, base);
    pack.finalize();
    const dst = await fresh();
    const [img] = await loadImages(dst.store, Readable.from([await out]));
    assert.equal(img?.id, id);
    assert.deepEqual(img?.tags, ['docker.io/library/legacy:1']);
    const rec = (await dst.store.get('legacy:1'))!;
    assert.equal(rec.chainIDs.length, 3);
    assert.equal(
      await readFile(join(dst.layers.diffDir(rec.chainIDs[2]!), 'etc/os-release'), 'utf8'),
      'ID=fixture\n',
    );
    // Plain layers are kept as blobs named by their diffID.
    assert.deepEqual(rec.layerBlobs, [digestOfBuffer(base), digestOfBuffer(app), digestOfBuffer(base)]);
  });

  it('save fails clearly when the exact bytes of a layer are gone and re-tarring cannot reproduce them', async () => {
    const own = await fresh();
    const img = await makeImage(own, { layers: [base], cmd: ['gone'], tags: ['gone:1'] });
    await own.content.delete(img.layerBlobs[0]!);
    await assert.rejects(bufferOf(saveImages(own.store, ['gone:1'])), (err: unknown) =>
      isWharfError(err, 'LAYER_NOT_REPRODUCIBLE'),
    );
  });

  it('a corrupt layer (bad digest) fails the load and leaves nothing', async () => {
    const archive = await save(['rt-a:v1']);
    const appHex = digestOfBuffer(app).slice(7);
    const bad = await repack(archive, (name, body) => {
      if (name !== `blobs/sha256/${appHex}`) return body;
      const c = Buffer.from(body);
      c[600] = c[600]! ^ 0xff;
      return c;
    });
    const dst = await fresh();
    await rejectsArchive(
      loadImages(dst.store, Readable.from([bad])),
      /layer blobs\/sha256\/[a-f0-9]+: content has digest/,
    );
    await expectClean(dst);

    // The same in an OCI layout with gzip layers: caught on the blob digest.
    const oci = await save(['rt-a:v1'], 'oci');
    const gzHex = a.id && (await src.store.get(a.id))!.layerBlobs[1]!.slice(7);
    const badOci = await repack(oci, (name, body) => {
      if (name !== `blobs/sha256/${gzHex}`) return body;
      const c = Buffer.from(body);
      c[c.length - 9] = c[c.length - 9]! ^ 0x01;
      return c;
    });
    await assert.rejects(loadImages(dst.store, Readable.from([badOci])), (err: unknown) => isWharfError(err));
    await expectClean(dst);
  });

  it('a config that does not match its digest, or a missing layer, fails clearly', async () => {
    const archive = await save(['rt-a:v1']);
    const dst = await fresh();
    const badConfig = await repack(archive, (name, body) =>
      name === `blobs/sha256/${a.id.slice(7)}` ? Buffer.from(body.toString().replace('"a"', '"z"')) : body,
    );
    await rejectsArchive(
      loadImages(dst.store, Readable.from([badConfig])),
      /image config .* has digest .*, expected/,
    );
    await expectClean(dst);

    const ex = tar.extract();
    const pack = tar.pack();
    const out = bufferOf(Readable.from(pack as AsyncIterable<Buffer>));
    Readable.from([archive]).pipe(ex);
    for await (const entry of ex) {
      const body = await bufferOf(Readable.from(entry));
      if (entry.header.name === `blobs/sha256/${digestOfBuffer(app).slice(7)}`) continue;
      await new Promise<void>((res, rej) => pack.entry(entry.header, body, (e) => (e ? rej(e) : res())));
    }
    pack.finalize();
    await rejectsArchive(loadImages(dst.store, Readable.from([await out])), /missing from the archive/);
    await expectClean(dst);
  });

  it('a truncated archive fails and leaves nothing', async () => {
    const archive = await save(['rt-a:v1', 'localhost:5000/rt/b:v1']);
    const dst = await fresh();
    for (const cut of [0.3, 0.9]) {
      const part = archive.subarray(0, Math.floor(archive.length * cut));
      await assert.rejects(loadImages(dst.store, Readable.from([part])), (err: unknown) =>
        isWharfError(err, 'ARCHIVE_INVALID'),
      );
      await expectClean(dst);
      const file = join(work, `cut-${cut}.tar.gz`);
      await writeFile(file, gzipSync(part));
      await assert.rejects(loadImages(dst.store, file), (err: unknown) =>
        isWharfError(err, 'ARCHIVE_INVALID'),
      );
      await expectClean(dst);
    }
    await rejectsArchive(loadImages(dst.store, Readable.from([Buffer.from('not a tar at all')])), /.+/);
    await expectClean(dst);
  });

  it('import turns a rootfs tarball into a one-layer image that saves and loads unchanged', async () => {
    const dst = await fresh();
    const rootfs = await tarOf([
      { name: 'bin/', type: 'directory' },
      { name: 'bin/hello', body: 'hello\n', mode: 0o755 },
    ]);
    const img = await importImage(dst.store, Readable.from([gzipSync(rootfs)]), {
      ref: 'imported:1',
      changes: { Cmd: ['/bin/hello'] },
    });
    assert.deepEqual(img.config.rootfs.diff_ids, [digestOfBuffer(rootfs)]);
    assert.equal(img.config.architecture, hostPlatform().architecture);
    assert.equal(img.config.os, 'linux');
    assert.equal(img.config.history?.[0]?.comment, 'Imported from -');
    assert.deepEqual(img.config.config?.Cmd, ['/bin/hello']);
    assert.equal((await dst.store.get('imported:1'))?.id, img.id);
    assert.equal(await readFile(join(dst.layers.diffDir(img.chainIDs[0]!), 'bin/hello'), 'utf8'), 'hello\n');
    assert.deepEqual(await leftovers(dst), []);
    const third = await fresh();
    const [re] = await loadImages(third.store, Readable.from(saveImages(dst.store, ['imported:1'])));
    assert.equal(re?.id, img.id);

    // A broken tarball imports nothing.
    const broken = await fresh();
    await assert.rejects(importImage(broken.store, Readable.from([gzipSync(rootfs).subarray(0, 40)])));
    await expectClean(broken);
  });

  describe('with skopeo', { skip: noSkopeo }, () => {
    it("skopeo reads Wharf's docker-archive and OCI layout", async () => {
      const file = join(work, 'wharf-save.tar');
      await writeFile(file, await save(['rt-a:v1', 'localhost:5000/rt/b:v1']));
      const { stdout } = await run('skopeo', ['inspect', `docker-archive:${file}:rt-a:v1`]);
      const info = JSON.parse(stdout) as { Layers: string[]; Architecture: string; Os: string };
      assert.deepEqual(info.Layers, [digestOfBuffer(base), digestOfBuffer(app)]);
      assert.equal(info.Architecture, 'amd64');
      const { stdout: cfg } = await run('skopeo', [
        'inspect',
        '--config',
        '--raw',
        `docker-archive:${file}:localhost:5000/rt/b:v1`,
      ]);
      assert.equal(digestOfBuffer(Buffer.from(cfg)), b.id, 'config bytes as stored');
      // Copy out to an OCI layout (skopeo re-serializes the config when it
      // converts to OCI, so compare its content, not its digest).
      const oci = join(work, 'skopeo-from-wharf');
      await run('skopeo', ['copy', `docker-archive:${file}:rt-a:v1`, `oci:${oci}:v1`]);
      const { stdout: cfg2 } = await run('skopeo', ['inspect', '--config', '--raw', `oci:${oci}:v1`]);
      const converted = JSON.parse(cfg2) as { rootfs: { diff_ids: string[] }; config: { Cmd: string[] } };
      assert.deepEqual(converted.rootfs.diff_ids, [digestOfBuffer(base), digestOfBuffer(app)]);
      assert.deepEqual(converted.config.Cmd, ['a']);
      // ... and that layout (gzip layers, a bare "v1" ref name) loads back, untagged.
      const layoutTar = join(work, 'skopeo-from-wharf.tar');
      await run('tar', ['-cf', layoutTar, '-C', oci, '.']);
      const dst = await fresh();
      const [back] = await loadImages(dst.store, layoutTar);
      assert.equal(back?.id, digestOfBuffer(Buffer.from(cfg2)));
      assert.deepEqual(back?.tags, []);
      assert.deepEqual((await dst.store.get(back!.id))!.config.rootfs.diff_ids, converted.rootfs.diff_ids);
      // The same archive read as an OCI archive.
      const single = join(work, 'wharf-single.tar');
      await writeFile(single, await save(['rt-a:v1']));
      const { stdout: o } = await run('skopeo', ['inspect', '--raw', `oci-archive:${single}:v1`]);
      assert.equal((JSON.parse(o) as { config: { digest: string } }).config.digest, a.id);
    });

    it('loads docker-archive and OCI archives that skopeo wrote', async () => {
      // A tiny OCI layout made here, with gzip layers, as the source.
      const layout = join(work, 'fixture-layout');
      await mkdir(join(layout, 'blobs/sha256'), { recursive: true });
      const put = async (b: Buffer) => {
        const d = digestOfBuffer(b);
        await writeFile(join(layout, 'blobs/sha256', d.slice(7)), b);
        return { digest: d, size: b.length };
      };
      const l1 = gzipSync(base);
      const l2 = gzipSync(app);
      const config = configFor({ layers: [base, app], cmd: ['fixture'] });
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await put(config)) },
          layers: [
            { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await put(l1)) },
            { mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...(await put(l2)) },
          ],
        }),
      );
      const m = await put(manifest);
      await writeFile(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await writeFile(
        join(layout, 'index.json'),
        JSON.stringify({
          schemaVersion: 2,
          manifests: [
            {
              mediaType: 'application/vnd.oci.image.manifest.v1+json',
              ...m,
              annotations: { 'org.opencontainers.image.ref.name': 'v1' },
            },
          ],
        }),
      );
      const id = digestOfBuffer(config);

      const dockerArchive = join(work, 'skopeo-docker.tar');
      await run('skopeo', ['copy', `oci:${layout}:v1`, `docker-archive:${dockerArchive}:fixture/app:v1`]);
      const dst = await fresh();
      const [d1] = await loadImages(dst.store, dockerArchive);
      assert.equal(d1?.id, id);
      assert.deepEqual(d1?.tags, ['docker.io/fixture/app:v1']);
      const rec = (await dst.store.get('fixture/app:v1'))!;
      assert.equal(
        await readFile(join(dst.layers.diffDir(rec.chainIDs[1]!), 'app/run.sh'), 'utf8'),
        '#!/bin/sh\necho hello\n',
      );

      const ociArchive = join(work, 'skopeo-oci.tar');
      await run('skopeo', ['copy', `oci:${layout}:v1`, `oci-archive:${ociArchive}:fixture/app:v2`]);
      const dst2 = await fresh();
      const [d2] = await loadImages(dst2.store, ociArchive);
      assert.equal(d2?.id, id);
      assert.deepEqual(d2?.tags, ['docker.io/fixture/app:v2']);
      // The gzip blobs were kept as they were: the layer digests match the source layout.
      assert.deepEqual((await dst2.store.get(id))!.layerBlobs, [digestOfBuffer(l1), digestOfBuffer(l2)]);

      // Loading into a store that already has the image's base layer reads only the rest.
      const [d3] = await loadImages(dst.store, ociArchive);
      assert.equal(d3?.id, id);
      assert.equal((await layerDirs(dst)).length, 2);
      assert.deepEqual(await leftovers(dst), []);
    });
  });

  describe('with umoci', { skip: noUmoci }, () => {
    for (const format of ['oci', 'docker'] as const) {
      it(`umoci unpacks Wharf's ${format} save`, async () => {
        const dir = join(work, `umoci-${format}`);
        const bundle = join(work, `bundle-${format}`);
        await mkdir(dir, { recursive: true });
        const archive = join(work, `umoci-${format}.tar`);
        await writeFile(archive, await save(['rt-a:v1'], format));
        await run('tar', ['-xf', archive, '-C', dir]);
        await run('umoci', ['unpack', '--image', `${dir}:v1`, bundle]);
        const rootfs = join(bundle, 'rootfs');
        assert.equal(await readFile(join(rootfs, 'app/run.sh'), 'utf8'), '#!/bin/sh\necho hello\n');
        assert.equal(existsSync(join(rootfs, 'etc/os-release')), false, 'the whiteout removed it');
        assert.ok((await readdir(rootfs)).includes('bin'));
        const cfg = JSON.parse(await readFile(join(bundle, 'config.json'), 'utf8')) as {
          process: { args: string[] };
        };
        assert.deepEqual(cfg.process.args, ['a']);
      });
    }
  });
});

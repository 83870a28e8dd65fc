// Pulled images run (issue 3, cases 1, 2 and 3 end to end): a real
// docker-registry fed by skopeo, the real content/layer/image stores, and the
// container runtime mounting the image's layer dirs (LayerStore.diffDir of
// each chainID, base first) as overlay lower dirs.
//
// The registry is reached through a counting proxy on 127.0.0.1, so "only the
// new layers were downloaded" is checked on the wire (blob GETs per digest),
// not only from the pull's own report.
import { strict as assert } from 'node:assert';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Digest, ImageRecord } from '../images/index.js';
import { readLogText } from '../runtime/json-log.js';
import { leaks, makeFixture, skipReason, sleep, uniqueId, type Fixture } from '../runtime/test-helpers.js';
import { makeBusyboxRootfs } from '../testing/busybox.js';
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
  writeOciLayout,
  type BuiltImage,
  type RunningRegistry,
  type Stores,
} from './testing.js';
import { startRegistryProxy, type RegistryProxy } from './testing-proxy.js';

const skip = skipReason() ?? haveRegistryTools();
if (skip) console.log(`# skipping pull-and-run tests: ${skip}`);

describe('pull, then run the image', { skip }, () => {
  let fx: Fixture;
  let reg: RunningRegistry;
  let proxy: RegistryProxy;
  let client: RegistryClient;
  let stores: Stores;
  let busybox: BuiltImage;
  let tools: BuiltImage;
  let layered: BuiltImage;

  before(async () => {
    fx = await makeFixture('pullrun');
    reg = await startRegistry();
    proxy = await startRegistryProxy(reg.host);
    client = new RegistryClient();
    // Everything the stores write lives under the fixture dir, which its
    // cleanup unmounts and removes.
    stores = await openStores(join(fx.dir, 'images-data'));

    const baseTar = await tarDir(makeBusyboxRootfs(join(fx.dir, 'busybox-rootfs')));
    const layout = join(fx.dir, 'layout');
    busybox = (
      await writeOciLayout(layout, 'busybox', [
        {
          layers: [baseTar],
          cmd: ['sh', '-c', 'echo hello from $(cat /etc/motd 2>/dev/null || echo busybox)'],
        },
      ])
    ).images[0]!;
    // Shares busybox's base layer, adds two.
    tools = (
      await writeOciLayout(layout, 'tools', [
        {
          layers: [
            baseTar,
            await tarFiles({ 'etc/motd': 'the tools image\n' }),
            await tarFiles({ 'usr/local/bin/greet': '#!/bin/sh\necho greetings\n' }),
          ],
          cmd: ['sh', '-c', 'echo hello from $(cat /etc/motd)'],
        },
      ])
    ).images[0]!;
    // An upper layer deletes a file and replaces a directory, as a Dockerfile
    // `RUN rm /etc/doomed && rm -rf /srv/site && mkdir /srv/site && ...` would.
    const lower = await tarFiles({
      'etc/doomed': 'delete me\n',
      'srv/site/old.html': 'old\n',
      'srv/site/assets/old.css': 'old\n',
      'srv/keep/kept.txt': 'kept\n',
    });
    const upper = await tarFiles({
      'etc/.wh.doomed': '',
      'srv/site/.wh..wh..opq': '',
      'srv/site/new.html': 'new\n',
    });
    layered = (await writeOciLayout(layout, 'layered', [{ layers: [baseTar, lower, upper] }])).images[0]!;
    for (const tag of ['busybox', 'tools', 'layered']) {
      await skopeoPush(layout, tag, `${reg.host}/wharf-test/${tag}:1`);
    }
  });

  after(async () => {
    await client?.close();
    await proxy?.close();
    await reg?.stop();
    await fx?.cleanup();
  });

  /** Creates, starts and waits for a container of `image`; returns its exit code and output. */
  async function run(
    image: ImageRecord,
    cmd?: string[],
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const id = uniqueId('pullrun');
    fx.ids.add(id);
    const layers = image.chainIDs.map((c) => stores.layers.diffDir(c));
    const rec = await fx.rt.create({
      id,
      config: cmd ? { Cmd: cmd } : {},
      rootfs: { layers },
      image: image.config.config,
    });
    if (rec.state.pid > 0) fx.pids.add(rec.state.pid);
    await fx.rt.start(id);
    const status = await fx.rt.wait(id);
    const logs = await readLogText(fx.rt.inspect(id).logPath);
    await fx.rt.remove(id);
    return { exitCode: status.exitCode, ...logs };
  }
  const ref = (name: string): string => `${proxy.host}/wharf-test/${name}:1`;

  it('case 1: pulls a busybox image and runs it with the image config defaults', async () => {
    const res = await pull({ client, ...stores }, ref('busybox'));
    assert.equal(res.image.id, busybox.configDigest);
    assert.deepEqual(res.downloaded, busybox.layerDigests);
    const out = await run(res.image);
    assert.equal(out.exitCode, 0, out.stderr);
    assert.equal(out.stdout, 'hello from busybox\n');
    // A command of the user's own, in the same image.
    const uname = await run(res.image, ['sh', '-c', 'ls /bin/busybox && id -u']);
    assert.equal(uname.exitCode, 0, uname.stderr);
    assert.equal(uname.stdout, '/bin/busybox\n0\n');
  });

  it('case 2: a second image sharing the base downloads only its new layers and reuses the base dir', async () => {
    const first = await stores.images.get(ref('busybox'));
    assert.ok(first, 'case 1 pulled busybox');
    const baseChain = first.chainIDs[0]!;
    const baseDir = stores.layers.diffDir(baseChain);
    const before = await stat(baseDir);
    const busyboxBin = await stat(join(baseDir, 'bin/busybox'));
    const getsBefore = new Map(proxy.gets);

    const events: ProgressEvent[] = [];
    const res = await pull({ client, ...stores }, ref('tools'), { onProgress: (e) => events.push(e) });
    assert.equal(res.image.id, tools.configDigest);

    // On the wire: the base blob was not fetched again, each new one once.
    const fetched = (d: Digest): number => (proxy.gets.get(d) ?? 0) - (getsBefore.get(d) ?? 0);
    assert.equal(fetched(tools.layerDigests[0]!), 0, 'the shared base layer was downloaded again');
    for (const d of tools.layerDigests.slice(1))
      assert.equal(fetched(d), 1, `${d} fetched ${fetched(d)} times`);
    assert.deepEqual(res.downloaded, tools.layerDigests.slice(1));
    assert.ok(
      events.some((e) => e.status === 'Already exists' && e.id === tools.layerDigests[0]!.slice(7, 19)),
    );

    // On disk: one directory for the base layer, the same inode, shared by both images.
    assert.equal(res.image.chainIDs[0], baseChain);
    const after = await stat(baseDir);
    assert.equal(after.ino, before.ino);
    assert.equal(after.dev, before.dev);
    assert.equal((await stat(join(baseDir, 'bin/busybox'))).ino, busyboxBin.ino);
    assert.equal(await stores.layers.refs(baseChain), 2);

    const out = await run(res.image);
    assert.equal(out.exitCode, 0, out.stderr);
    assert.equal(out.stdout, 'hello from the tools image\n');
    const greet = await run(res.image, ['sh', '/usr/local/bin/greet']);
    assert.equal(greet.stdout, 'greetings\n');
  });

  it('case 3: a deleted file is gone and a replaced directory is opaque in the running container', async () => {
    const res = await pull({ client, ...stores }, ref('layered'));
    assert.equal(res.image.id, layered.configDigest);
    assert.deepEqual(res.downloaded, layered.layerDigests.slice(1));
    const out = await run(res.image, [
      'sh',
      '-c',
      [
        'test ! -e /etc/doomed && echo doomed-gone',
        'ls -A /srv/site | tr "\\n" " "; echo',
        'test ! -e /srv/site/assets && echo assets-gone',
        'cat /srv/site/new.html /srv/keep/kept.txt',
        // The directory is writable as usual (the container's upper layer).
        'touch /srv/site/written && ls /srv/site | tr "\\n" " "; echo',
      ].join('; '),
    ]);
    assert.equal(out.exitCode, 0, out.stderr);
    assert.equal(
      out.stdout,
      'doomed-gone\nnew.html \nassets-gone\nnew\nkept\nnew.html written \n',
      `container saw:\n${out.stdout}${out.stderr}`,
    );
    // The lower layer itself is untouched: the container only sees it through the upper one.
    const lowerDir = stores.layers.diffDir(res.image.chainIDs[1]!);
    assert.ok((await stat(join(lowerDir, 'etc/doomed'))).isFile());
    assert.ok((await stat(join(lowerDir, 'srv/site/assets/old.css'))).isFile());
  });

  it('leaves no containers, mounts, cgroups or processes behind', async () => {
    for (const rec of fx.rt.list()) await fx.rt.remove(rec.id, { force: true });
    await sleep(100);
    assert.deepEqual(await leaks(fx), []);
  });
});

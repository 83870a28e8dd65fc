// Issue 3, case 7, with the start-up reconcile: a pull is killed (SIGKILL)
// while some of its layers are extracted and one is still downloading; the
// stores are opened again as the daemon opens them (including
// reconcileStores), which leaves no temp files and no layer that no image
// holds; the next pull then completes without downloading again what was
// already verified and stored.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../images/index.js';
import { reconcileStores } from '../images/reconcile.js';
import { isRoot } from '../testing/busybox.js';
import { RegistryClient } from './client.js';
import type { ProgressEvent } from './progress.js';
import { pull } from './pull.js';
import { startRegistryProxy, type RegistryProxy } from './testing-proxy.js';
import {
  haveRegistryTools,
  openStores,
  skopeoPush,
  startRegistry,
  tarFiles,
  writeOciLayout,
  type BuiltImage,
  type RunningRegistry,
} from './testing.js';

const skip = !isRoot() ? 'needs root (layer extraction)' : haveRegistryTools();
if (skip) console.log(`# skipping killed-pull reconcile test: ${skip}`);
const CHILD = fileURLToPath(new URL('./testing-pull-child.ts', import.meta.url));

describe('killed pull, reopen with reconcile, pull again', { skip }, () => {
  let reg: RunningRegistry;
  let proxy: RegistryProxy;
  let work: string;
  let img: BuiltImage;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-kill-reconcile-'));
    reg = await startRegistry();
    proxy = await startRegistryProxy(reg.host);
    const layers = [];
    for (let i = 0; i < 4; i++) layers.push(await tarFiles({ [`data${i}.bin`]: randomBytes(2 << 20) }));
    img = (await writeOciLayout(join(work, 'layout'), 'img', [{ layers, gzipLevel: 1 }])).images[0]!;
    await skopeoPush(join(work, 'layout'), 'img', `${reg.host}/killed/img:1`);
  });

  after(async () => {
    await proxy?.close();
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('leaves no orphan layers after reconcile, and the next pull completes', async () => {
    const dataRoot = join(work, 'data');
    const ref = `${proxy.host}/killed/img:1`;
    // The top layer trickles in, so the kill lands while it downloads and
    // the layers below are (most likely) already extracted.
    const slow = img.layerDigests[3]!;
    proxy.throttle(slow, 256 << 10);
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataRoot, ref], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    const completed = new Set<string>();
    let killed = false;
    try {
      for await (const line of createInterface({ input: child.stdout })) {
        const ev = JSON.parse(line) as ProgressEvent;
        if (ev.status === 'Pull complete') completed.add(ev.id!);
        assert.notEqual(ev.status, 'done', 'the pull finished before it could be killed');
        if (
          completed.size === 3 &&
          ev.status === 'Downloading' &&
          ev.id === slow.slice(7, 19) &&
          (ev.progressDetail?.current ?? 0) > 64 << 10
        ) {
          child.kill('SIGKILL');
          killed = true;
          break;
        }
      }
    } finally {
      if (!killed) child.kill('SIGKILL');
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(killed);
    proxy.throttle(slow, 0);

    // Restart: open the stores as the daemon does, then reconcile.
    const stores = await openStores(dataRoot);
    const before = await stores.layers.list();
    assert.equal(before.length, 3, 'three layers were extracted before the kill, none registered');
    const report = await reconcileStores(stores);
    assert.deepEqual(report.layersRemoved.sort(), before.map((l) => l.chainID).sort());
    assert.deepEqual(report.refsFixed, []);
    assert.deepEqual(await stores.layers.list(), []);
    assert.deepEqual(await stores.images.list(), []);
    for (const d of ['blobs/tmp', 'layers/tmp', 'images/tmp']) {
      assert.deepEqual(await readdir(join(dataRoot, d)), [], `${d} is empty`);
    }
    // The verified blobs stay: they are what spares the next pull a download.
    for (const d of img.layerDigests.slice(0, 3)) assert.ok(await stores.content.has(d), d);
    assert.equal(await stores.content.has(slow), false);

    const gets = new Map(proxy.gets);
    const client = new RegistryClient();
    try {
      const events: ProgressEvent[] = [];
      const res = await pull({ client, ...stores }, ref, { onProgress: (e) => events.push(e) });
      assert.equal(res.image.id, img.configDigest);
      assert.deepEqual(res.downloaded, [slow]);
      const fetched = (d: Digest): number => (proxy.gets.get(d) ?? 0) - (gets.get(d) ?? 0);
      assert.deepEqual(
        img.layerDigests.map(fetched),
        [0, 0, 0, 1],
        'only the layer that was cut off is downloaded again',
      );
      for (const c of res.image.chainIDs) assert.equal(await stores.layers.refs(c), 1);
      assert.ok(events.some((e) => e.status.startsWith('Status: Downloaded newer image')));
      // And a second reconcile finds nothing to do.
      assert.deepEqual(await reconcileStores(stores), { refsFixed: [], layersRemoved: [], brokenImages: [] });
    } finally {
      await client.close();
    }
  });
});

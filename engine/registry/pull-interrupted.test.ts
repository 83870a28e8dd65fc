// Kill a pull mid-download (SIGKILL of the pulling process), open the store
// again: it is clean, and the next pull completes (issue 3, case 7).
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { isRoot } from '../testing/busybox.js';
import { RegistryClient } from './client.js';
import type { ProgressEvent } from './progress.js';
import { pull } from './pull.js';
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
if (skip) console.log(`# skipping interrupted-pull test: ${skip}`);
const CHILD = fileURLToPath(new URL('./testing-pull-child.ts', import.meta.url));

describe('interrupted pull', { skip }, () => {
  let reg: RunningRegistry;
  let work: string;
  let img: BuiltImage;

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'wharf-kill-test-'));
    reg = await startRegistry();
    // Incompressible layers, big enough that the download is still running when killed.
    const layers = [];
    for (let i = 0; i < 4; i++) layers.push(await tarFiles({ [`data${i}.bin`]: randomBytes(24 << 20) }));
    img = (await writeOciLayout(join(work, 'layout'), 'big', [{ layers, gzipLevel: 1 }])).images[0]!;
    await skopeoPush(join(work, 'layout'), 'big', `${reg.host}/big:1`);
  });

  after(async () => {
    await reg?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('opens clean after SIGKILL mid-download and the next pull completes', async () => {
    const dataRoot = join(work, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataRoot, `${reg.host}/big:1`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, sig) => r(sig)));
    let killedDuring: ProgressEvent | undefined;
    const completed = new Set<string>();
    const downloadedBefore = new Set<string>();
    for await (const line of createInterface({ input: child.stdout })) {
      const ev = JSON.parse(line) as ProgressEvent;
      if (ev.status === 'Pull complete') completed.add(ev.id!);
      if (ev.status === 'Download complete') downloadedBefore.add(ev.id!);
      // Kill once a later layer is mid-download: earlier ones may be complete.
      if (
        ev.status === 'Downloading' &&
        (ev.progressDetail?.current ?? 0) > 2 << 20 &&
        ev.id === img.layerDigests[1]!.slice(7, 19)
      ) {
        killedDuring = ev;
        child.kill('SIGKILL');
        break;
      }
      assert.notEqual(ev.status, 'done', 'the pull finished before it could be killed');
    }
    assert.equal(await exited, 'SIGKILL');
    assert.ok(killedDuring);
    // Something was left half-done by the crash.
    const leftovers = [
      ...(await readdir(join(dataRoot, 'blobs', 'tmp')).catch(() => [])),
      ...(await readdir(join(dataRoot, 'layers', 'tmp')).catch(() => [])),
    ];
    assert.ok(leftovers.length > 0, 'the kill left temp files for cleanup to find');

    const stores = await openStores(dataRoot);
    assert.deepEqual(await readdir(join(dataRoot, 'blobs', 'tmp')), []);
    assert.deepEqual(await readdir(join(dataRoot, 'layers', 'tmp')), []);
    assert.deepEqual(await stores.images.list(), []);
    for (const l of await stores.layers.list())
      assert.ok(img.diffIDs.includes(l.diffID) || l.parentChainID !== null);

    const client = new RegistryClient();
    try {
      const events: ProgressEvent[] = [];
      const res = await pull({ client, ...stores }, `${reg.host}/big:1`, {
        onProgress: (e) => events.push(e),
      });
      assert.equal(res.image.id, img.configDigest);
      assert.equal(res.image.chainIDs.length, 4);
      for (const c of res.image.chainIDs) assert.ok(await stores.layers.has(c));
      // Work completed before the kill is kept: extracted layers "Already exists",
      // downloaded blobs are not fetched again.
      for (const id of completed)
        assert.ok(
          events.some((e) => e.status === 'Already exists' && e.id === id),
          id,
        );
      for (const d of res.downloaded) assert.ok(!downloadedBefore.has(d.slice(7, 19)), `${d} fetched twice`);
      assert.ok(completed.size + downloadedBefore.size > 0 || res.downloaded.length === 4);
    } finally {
      await client.close();
    }
  });
});

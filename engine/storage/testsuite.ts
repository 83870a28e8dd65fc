// Conformance suite for ContainerStorage implementations (containerd's
// snapshots testsuite pattern): real mounts on a temp dir, nothing mocked.
// Each test makes its own temp dir and removes it (and any mount) afterwards.
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import {
  lstat,
  mkdir,
  mkdtemp,
  open,
  readFile,
  readdir,
  rm,
  stat,
  symlink,
  writeFile,
  unlink,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test, type TestContext } from 'node:test';
import { native } from '../../native/index.js';
import { isRoot } from '../testing/busybox.js';
import { readMountInfo } from './mountinfo.js';
import { ChangeKind, type ContainerRootfs, type ContainerStorage } from './index.js';

interface Fixture {
  base: string;
  layers: string[];
  rootfs: ContainerRootfs;
}

async function mountedUnder(dir: string): Promise<string[]> {
  return (await readMountInfo()).map((m) => m.mountPoint).filter((p) => p === dir || p.startsWith(`${dir}/`));
}

/** Two image layers: base has /etc, /bin/tool, /data/{a,b}; the second adds /app and replaces /bin/tool. */
async function makeLayers(base: string): Promise<string[]> {
  const l1 = join(base, 'layer1');
  const l2 = join(base, 'layer2');
  await mkdir(join(l1, 'etc'), { recursive: true });
  await mkdir(join(l1, 'bin'), { recursive: true });
  await mkdir(join(l1, 'data', 'sub'), { recursive: true });
  await writeFile(join(l1, 'etc', 'os-release'), 'ID=test\n');
  await writeFile(join(l1, 'bin', 'tool'), 'v1');
  await writeFile(join(l1, 'data', 'a'), 'a');
  await writeFile(join(l1, 'data', 'b'), 'b');
  await writeFile(join(l1, 'data', 'sub', 'c'), 'c');
  await writeFile(join(l1, 'gone'), 'hidden by layer2');
  await mkdir(join(l2, 'app'), { recursive: true });
  await mkdir(join(l2, 'bin'), { recursive: true });
  await writeFile(join(l2, 'app', 'main'), 'main');
  await writeFile(join(l2, 'bin', 'tool'), 'v2');
  // A layer-level whiteout, as extraction writes it.
  await native.mknod(join(l2, 'gone'), constants.S_IFCHR, 0, 0);
  return [l1, l2];
}

export function storageConformance(name: string, make: () => ContainerStorage): void {
  describe(
    `${name} conformance`,
    { skip: isRoot() ? false : 'needs root (overlay mounts, trusted.* xattrs)' },
    () => {
      async function setup(t: TestContext): Promise<Fixture & { storage: ContainerStorage }> {
        const storage = make();
        const base = await mkdtemp(join(tmpdir(), 'wharf-storage-'));
        const dir = join(base, 'containers', 'c1');
        t.after(async () => {
          await storage.remove(dir).catch(() => undefined);
          for (const p of (await mountedUnder(base)).reverse()) {
            await native.umount2(p, ['MNT_DETACH']).catch(() => undefined);
          }
          await rm(base, { recursive: true, force: true });
        });
        const layers = await makeLayers(base);
        const rootfs = await storage.prepare({
          id: 'c1',
          dir,
          layers,
          init: { hostname: 'c1host', ip: '172.17.0.5', extraHosts: ['db:10.0.0.9'] },
        });
        return { storage, base, layers, rootfs };
      }

      test('prepare lays out the container dir with safe modes and an init layer', async (t) => {
        const { storage, rootfs, layers } = await setup(t);
        assert.equal((await stat(rootfs.dir)).mode & 0o777, 0o710);
        assert.equal((await stat(rootfs.workDir)).mode & 0o777, 0o700);
        assert.equal((await stat(rootfs.mergedDir)).mode & 0o777, 0o700);
        assert.deepEqual(rootfs.lowerDirs, [rootfs.initDir, layers[1], layers[0]]);
        assert.equal(await readFile(join(rootfs.initDir, 'etc/hostname'), 'utf8'), 'c1host\n');
        const hosts = await readFile(join(rootfs.initDir, 'etc/hosts'), 'utf8');
        assert.match(hosts, /^127\.0\.0\.1\tlocalhost$/m);
        assert.match(hosts, /^172\.17\.0\.5\tc1host$/m);
        assert.match(hosts, /^10\.0\.0\.9\tdb$/m);
        const resolv = await readFile(join(rootfs.initDir, 'etc/resolv.conf'), 'utf8');
        assert.doesNotMatch(resolv, /nameserver 127\./);
        assert.match(resolv, /nameserver /);
        assert.deepEqual(await storage.open(rootfs.dir), rootfs);
        // idempotent
        assert.deepEqual(
          await storage.prepare({ id: 'c1', dir: rootfs.dir, layers, init: { hostname: 'c1host' } }),
          rootfs,
        );
      });

      test('writes and deletes land in upper; lowers stay unchanged', async (t) => {
        const { storage, rootfs, layers } = await setup(t);
        const merged = await storage.mount(rootfs);
        assert.equal(await storage.isMounted(rootfs), true);
        assert.equal(await storage.mount(rootfs), merged, 'mounting twice is a no-op');
        assert.equal((await mountedUnder(merged)).length, 1);

        // the stack: top layer wins, layer whiteouts hide, init layer on top
        assert.equal(await readFile(join(merged, 'bin/tool'), 'utf8'), 'v2');
        assert.equal(await readFile(join(merged, 'etc/os-release'), 'utf8'), 'ID=test\n');
        assert.equal(await readFile(join(merged, 'etc/hostname'), 'utf8'), 'c1host\n');
        await assert.rejects(lstat(join(merged, 'gone')), { code: 'ENOENT' });

        await writeFile(join(merged, 'new.txt'), 'hello');
        await writeFile(join(merged, 'data/a'), 'changed');
        await unlink(join(merged, 'data/b'));
        await rm(join(merged, 'app'), { recursive: true });

        assert.equal(await readFile(join(rootfs.upperDir, 'new.txt'), 'utf8'), 'hello');
        assert.equal(await readFile(join(rootfs.upperDir, 'data/a'), 'utf8'), 'changed');
        for (const deleted of ['data/b', 'app']) {
          const st = await lstat(join(rootfs.upperDir, deleted));
          assert.ok(st.isCharacterDevice(), `${deleted} is a whiteout`);
          assert.equal(st.rdev, 0, `${deleted} is a 0/0 device`);
        }
        assert.equal(await readFile(join(layers[0] as string, 'data/a'), 'utf8'), 'a');
        assert.equal(await readFile(join(layers[0] as string, 'data/b'), 'utf8'), 'b');
        assert.equal(await readFile(join(layers[1] as string, 'app/main'), 'utf8'), 'main');
      });

      test('changes() reports added, modified, deleted and opaque dirs like docker diff', async (t) => {
        const { storage, rootfs } = await setup(t);
        const merged = await storage.mount(rootfs);
        await writeFile(join(merged, 'new.txt'), 'hello');
        await writeFile(join(merged, 'data/a'), 'changed');
        await unlink(join(merged, 'data/b'));
        await mkdir(join(merged, 'srv/www'), { recursive: true });
        await symlink('/etc/os-release', join(merged, 'srv/link'));
        // Replace a lower dir: overlay marks the new one opaque.
        await rm(join(merged, 'data/sub'), { recursive: true });
        await mkdir(join(merged, 'data/sub'));
        await writeFile(join(merged, 'data/sub/d'), 'd');

        const changes = await storage.changes(rootfs);
        const kinds = new Map(changes.map((c) => [c.Path, c.Kind]));
        assert.equal(kinds.get('/new.txt'), ChangeKind.Added);
        assert.equal(kinds.get('/data'), ChangeKind.Modified);
        assert.equal(kinds.get('/data/a'), ChangeKind.Modified);
        assert.equal(kinds.get('/data/b'), ChangeKind.Deleted);
        assert.equal(kinds.get('/data/sub'), ChangeKind.Modified);
        assert.equal(kinds.get('/data/sub/c'), ChangeKind.Deleted);
        assert.equal(kinds.get('/data/sub/d'), ChangeKind.Added);
        assert.equal(kinds.get('/srv'), ChangeKind.Added);
        assert.equal(kinds.get('/srv/www'), ChangeKind.Added);
        assert.equal(kinds.get('/srv/link'), ChangeKind.Added);
        assert.equal(new Set(changes.map((c) => c.Path)).size, changes.length, 'no duplicates');
        assert.ok(!kinds.has('/etc/hostname'), 'init layer files are not changes');
        assert.ok(!kinds.has('/bin'), 'untouched dirs are not changes');

        assert.equal(
          await storage.size(rootfs),
          'hello'.length + 'changed'.length + 'd'.length + '/etc/os-release'.length,
        );
      });

      test('unmount leaves nothing mounted and is idempotent; remount keeps the writes', async (t) => {
        const { storage, rootfs } = await setup(t);
        const merged = await storage.mount(rootfs);
        await writeFile(join(merged, 'keep'), 'x');
        await storage.unmount(rootfs);
        assert.deepEqual(await mountedUnder(rootfs.dir), []);
        assert.ok(!(await readFile('/proc/mounts', 'utf8')).includes(rootfs.mergedDir));
        await storage.unmount(rootfs);
        await storage.mount(rootfs);
        assert.equal(await readFile(join(merged, 'keep'), 'utf8'), 'x');
        await storage.unmount(rootfs);
      });

      test('unmount of a busy mount detaches it', async (t) => {
        const { storage, rootfs } = await setup(t);
        const merged = await storage.mount(rootfs);
        const fh = await open(join(merged, 'data/a'), 'r');
        t.after(() => fh.close());
        await storage.unmount(rootfs);
        assert.deepEqual(await mountedUnder(rootfs.dir), []);
      });

      test('remove unmounts, deletes, and is idempotent even after a crash', async (t) => {
        const { storage, rootfs, base } = await setup(t);
        const merged = await storage.mount(rootfs);
        // A stale stacked mount below merged, as a crashed runtime might leave.
        await mkdir(join(merged, 'mnt'), { recursive: true });
        await native.mount('tmpfs', join(merged, 'mnt'), 'tmpfs', [], 'size=1m');
        await storage.remove(rootfs.dir);
        assert.deepEqual(await mountedUnder(rootfs.dir), []);
        await assert.rejects(stat(rootfs.dir), { code: 'ENOENT' });
        await storage.remove(rootfs.dir);

        // A half-made dir (crash during prepare) and a missing one.
        const half = join(base, 'containers', 'half');
        await mkdir(join(half, 'upper'), { recursive: true });
        await storage.remove(half);
        await assert.rejects(stat(half), { code: 'ENOENT' });
        await storage.remove(join(base, 'containers', 'never'));
      });

      test('deep images: lower stacks longer than a page mount', async (t) => {
        const storage = make();
        const base = await mkdtemp(join(tmpdir(), 'wharf-storage-deep-'));
        const dir = join(base, 'containers', 'deep');
        t.after(async () => {
          await storage.remove(dir).catch(() => undefined);
          await rm(base, { recursive: true, force: true });
        });
        const layers: string[] = [];
        for (let i = 0; i < 80; i++) {
          const l = join(base, 'layers', `${i.toString().padStart(4, '0')}${'f'.repeat(60)}`, 'diff');
          await mkdir(l, { recursive: true });
          await writeFile(join(l, `file${i}`), String(i));
          layers.push(l);
        }
        assert.ok(layers.join(':').length > 4096);
        const rootfs = await storage.prepare({ id: 'deep', dir, layers, init: { hostname: 'deep' } });
        const merged = await storage.mount(rootfs);
        const names = await readdir(merged);
        assert.ok(names.includes('file0') && names.includes('file79'));
        await storage.unmount(rootfs);
      });

      test('concurrent mount calls mount once', async (t) => {
        const { storage, rootfs } = await setup(t);
        await Promise.all([storage.mount(rootfs), storage.mount(rootfs), storage.mount(rootfs)]);
        assert.equal((await mountedUnder(rootfs.mergedDir)).length, 1);
        await storage.unmount(rootfs);
      });

      test('writeInitFiles updates the files a mounted container sees', async (t) => {
        const { storage, rootfs } = await setup(t);
        const merged = await storage.mount(rootfs);
        await storage.writeInitFiles(rootfs, { hostname: 'c1host', ip: '10.1.2.3' });
        assert.match(await readFile(join(merged, 'etc/hosts'), 'utf8'), /^10\.1\.2\.3\tc1host$/m);
        await storage.unmount(rootfs);
      });
    },
  );
}

// Overlay driver for container root filesystems (contract in index.ts).
//
// Layout under containers/<id>/ (mode 0710, so other users cannot reach
// setuid files inside):
//   upper/   the container's writes (0755: its mode becomes the rootfs root's)
//   work/    overlay's scratch dir (0700)
//   merged/  the mount point (0700 while unmounted)
//   init/    the init layer (hostname, hosts, resolv.conf, mount points)
//   rootfs.json
//
// Long lower stacks: mount(2) takes the whole option string in one page
// (4 KiB), which ~60 layers under /var/lib/wharf/layers/<64 hex>/diff exceed.
// We mount with the new mount API instead, one fsconfig("lowerdir+") per
// layer (kernel >= 6.8), so there is no limit but overlay's own (500 layers).
// On older kernels we fall back to mount(2) and fail with a clear message when
// the string does not fit; the chdir-and-relative-paths trick Docker uses needs
// a helper process (chdir is process-wide and the addon runs on the thread
// pool), which is left for when it is needed.
import { chmod, mkdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { isNativeError, native, type FsParam } from '../../native/index.js';
import { isErrno, isWharfError, wharfError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { KeyedLock } from '../util/keyed-lock.js';
import { directorySize, overlayChanges } from './changes.js';
import type { Change, ContainerRootfs, ContainerStorage, InitLayerOptions, PrepareOptions } from './index.js';
import { createInitLayer, writeInitFiles } from './init-layer.js';
import { mountsUnder } from './mountinfo.js';

const RECORD = 'rootfs.json';
const PAGE_SIZE = 4096;

function fail(what: string, cause: unknown): never {
  if (isWharfError(cause)) throw cause;
  const detail = cause instanceof Error ? `${what}: ${cause.message}` : what;
  throw wharfError('ROOTFS_FAILED', detail, cause);
}

export class OverlayStorage implements ContainerStorage {
  /** One operation at a time per container dir (mount/unmount/remove race otherwise). */
  private readonly locks = new KeyedLock();

  private serialize<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    return this.locks.run(dir, fn);
  }

  async prepare(opts: PrepareOptions): Promise<ContainerRootfs> {
    const dir = resolve(opts.dir);
    const rootfs: ContainerRootfs = {
      id: opts.id,
      dir,
      upperDir: join(dir, 'upper'),
      workDir: join(dir, 'work'),
      mergedDir: join(dir, 'merged'),
      initDir: join(dir, 'init'),
      lowerDirs: [join(dir, 'init'), ...[...opts.layers].reverse().map((l) => resolve(l))],
      userXattr: opts.userXattr ?? false,
    };
    return this.serialize(dir, async () => {
      try {
        await mkdir(dir, { recursive: true, mode: 0o710 });
        await Promise.all([
          chmod(dir, 0o710),
          mkdir(rootfs.upperDir, { recursive: true, mode: 0o755 }),
          mkdir(rootfs.workDir, { recursive: true, mode: 0o700 }),
          mkdir(rootfs.mergedDir, { recursive: true, mode: 0o700 }),
          createInitLayer(rootfs.initDir, opts.init),
        ]);
        await writeFileAtomic(join(dir, RECORD), `${JSON.stringify(rootfs, null, 2)}\n`);
      } catch (err) {
        fail(`prepare ${dir}`, err);
      }
      return rootfs;
    });
  }

  async open(dir: string): Promise<ContainerRootfs> {
    const path = join(resolve(dir), RECORD);
    let parsed: unknown;
    try {
      parsed = JSON.parse(await readFile(path, 'utf8'));
    } catch (err) {
      throw wharfError('STORE_CORRUPT', `${path}: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const r = parsed as Partial<ContainerRootfs>;
    if (
      typeof r.id !== 'string' ||
      typeof r.upperDir !== 'string' ||
      typeof r.workDir !== 'string' ||
      typeof r.mergedDir !== 'string' ||
      typeof r.initDir !== 'string' ||
      !Array.isArray(r.lowerDirs)
    ) {
      throw wharfError('STORE_CORRUPT', `${path}: missing fields`);
    }
    return { ...(r as ContainerRootfs), userXattr: !!r.userXattr };
  }

  async writeInitFiles(rootfs: ContainerRootfs, init: InitLayerOptions): Promise<void> {
    try {
      await writeInitFiles(rootfs.initDir, init);
    } catch (err) {
      fail(`write init layer ${rootfs.initDir}`, err);
    }
  }

  /** Whether the overlay is mounted: merged/ then lives on another device than its parent. */
  async isMounted(rootfs: ContainerRootfs): Promise<boolean> {
    try {
      const [merged, parent] = await Promise.all([stat(rootfs.mergedDir), stat(rootfs.dir)]);
      return merged.dev !== parent.dev;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return false;
      throw err;
    }
  }

  async mount(rootfs: ContainerRootfs): Promise<string> {
    return this.serialize(resolve(rootfs.dir), async () => {
      if (await this.isMounted(rootfs)) return rootfs.mergedDir;
      const params: FsParam[] = [
        ...rootfs.lowerDirs.map((l): FsParam => ['lowerdir+', l]),
        ['upperdir', rootfs.upperDir],
        ['workdir', rootfs.workDir],
        // index=off: the same lower may back many containers at once.
        ['index', 'off'],
      ];
      if (rootfs.userXattr) params.push(['userxattr', null]);
      try {
        await native.fsmount('overlay', rootfs.mergedDir, params, []);
      } catch (err) {
        // Kernels before 6.8 have no "lowerdir+": fall back to mount(2).
        if (!(isNativeError(err, 'EINVAL') && /lowerdir\+/.test(err.message))) {
          fail(`mount overlay on ${rootfs.mergedDir}`, err);
        }
        await this.legacyMount(rootfs);
      }
      return rootfs.mergedDir;
    });
  }

  private async legacyMount(rootfs: ContainerRootfs): Promise<void> {
    let data = `lowerdir=${rootfs.lowerDirs.join(':')},upperdir=${rootfs.upperDir},workdir=${rootfs.workDir},index=off`;
    if (rootfs.userXattr) data += ',userxattr';
    if (data.length >= PAGE_SIZE) {
      throw wharfError(
        'ROOTFS_FAILED',
        `${rootfs.lowerDirs.length} layers do not fit in one mount(2) call on this kernel; ` +
          'Linux 6.8 or newer (overlay "lowerdir+") is needed for images this deep',
      );
    }
    try {
      await native.mount('overlay', rootfs.mergedDir, 'overlay', [], data);
    } catch (err) {
      fail(`mount overlay on ${rootfs.mergedDir}`, err);
    }
  }

  async unmount(rootfs: ContainerRootfs): Promise<void> {
    return this.serialize(resolve(rootfs.dir), () => this.unmountAll(resolve(rootfs.mergedDir), true));
  }

  /** Unmounts every mount at or below `path` (stacked ones too); lazily when busy. */
  private async unmountAll(path: string, exact: boolean): Promise<void> {
    if (exact) return this.unmountExact(path);
    for (let round = 0; round < 16; round++) {
      let points = await mountsUnder(path);
      if (exact) points = points.filter((p) => p === path);
      if (points.length === 0) return;
      for (const p of points) {
        try {
          await native.umount2(p, ['UMOUNT_NOFOLLOW']);
        } catch (err) {
          if (isNativeError(err, 'EINVAL') || isNativeError(err, 'ENOENT')) continue; // already gone
          if (!isNativeError(err, 'EBUSY')) fail(`unmount ${p}`, err);
          try {
            await native.umount2(p, ['MNT_DETACH', 'UMOUNT_NOFOLLOW']);
          } catch (err2) {
            if (!isNativeError(err2, 'EINVAL') && !isNativeError(err2, 'ENOENT')) fail(`unmount ${p}`, err2);
          }
        }
      }
    }
    throw wharfError('ROOTFS_FAILED', `${path} is still mounted after repeated unmounts`);
  }

  /**
   * Unmounts `path` itself until it is no mount point (EINVAL): stacked
   * mounts too, without reading the mount table (which holds every
   * container's mount, so parsing it is what a plain unmount cost).
   */
  private async unmountExact(path: string): Promise<void> {
    for (let round = 0; round < 16; round++) {
      try {
        await native.umount2(path, ['UMOUNT_NOFOLLOW']);
        continue;
      } catch (err) {
        if (isNativeError(err, 'EINVAL') || isNativeError(err, 'ENOENT')) return; // not (or no longer) mounted
        if (!isNativeError(err, 'EBUSY')) fail(`unmount ${path}`, err);
      }
      try {
        await native.umount2(path, ['MNT_DETACH', 'UMOUNT_NOFOLLOW']);
      } catch (err) {
        if (isNativeError(err, 'EINVAL') || isNativeError(err, 'ENOENT')) return;
        fail(`unmount ${path}`, err);
      }
    }
    throw wharfError('ROOTFS_FAILED', `${path} is still mounted after repeated unmounts`);
  }

  async remove(dir: string): Promise<void> {
    const abs = resolve(dir);
    return this.serialize(abs, async () => {
      await this.unmountAll(abs, false);
      // Never delete through a mount: rm would descend into it.
      if ((await mountsUnder(abs)).length > 0) {
        throw wharfError('ROOTFS_FAILED', `cannot remove ${abs}: something below it is still mounted`);
      }
      try {
        // work/ may hold a 0000 "work" dir overlay left behind; rm copes with it as root.
        await rm(abs, { recursive: true, force: true, maxRetries: 3 });
      } catch (err) {
        if (!isErrno(err, 'ENOENT')) fail(`remove ${abs}`, err);
      }
      try {
        await rmdir(abs);
      } catch {
        // gone, as expected
      }
    });
  }

  async changes(rootfs: ContainerRootfs): Promise<Change[]> {
    try {
      return await overlayChanges(rootfs.upperDir, rootfs.lowerDirs, rootfs.userXattr);
    } catch (err) {
      fail(`diff ${rootfs.upperDir}`, err);
    }
  }

  async size(rootfs: ContainerRootfs): Promise<number> {
    try {
      return await directorySize(rootfs.upperDir);
    } catch (err) {
      fail(`size of ${rootfs.upperDir}`, err);
    }
  }
}

export function createOverlayStorage(): OverlayStorage {
  return new OverlayStorage();
}

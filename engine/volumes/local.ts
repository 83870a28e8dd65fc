// The "local" volume driver: <data-root>/volumes/<name>/_data plus
// volume.json (metadata) written atomically. A volume exists once its
// volume.json does: a crash mid-create leaves a directory without it, which
// open() removes; remove() renames the directory away before deleting it, so
// a crash mid-remove never leaves a half-deleted volume that looks whole.
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { wharfError } from '../errors.js';
import type { EnginePaths } from '../paths.js';
import { volumePaths } from '../paths.js';
import { writeJsonAtomic } from '../util/atomic-file.js';
import {
  ANONYMOUS_LABEL,
  volumeNameError,
  type CreateVolumeOptions,
  type Volume,
  type VolumeStore,
} from './index.js';

const TRASH_PREFIX = '.trash-';

interface StoredVolume {
  Name: string;
  Driver: 'local';
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
}

export class LocalVolumeStore implements VolumeStore {
  private readonly volumes = new Map<string, StoredVolume>();
  /** Names being created or removed right now (one operation per name at a time). */
  private readonly busy = new Map<string, Promise<unknown>>();

  private constructor(private readonly paths: EnginePaths) {}

  static async open(paths: EnginePaths): Promise<LocalVolumeStore> {
    const s = new LocalVolumeStore(paths);
    const root = volumePaths.root(paths);
    await mkdir(root, { recursive: true, mode: 0o701 });
    for (const ent of await readdir(root, { withFileTypes: true })) {
      const dir = join(root, ent.name);
      if (ent.name.startsWith(TRASH_PREFIX)) {
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      if (!ent.isDirectory() || volumeNameError(ent.name)) continue;
      let meta: StoredVolume | undefined;
      try {
        meta = JSON.parse(await readFile(volumePaths.metadata(paths, ent.name), 'utf8')) as StoredVolume;
      } catch {
        meta = undefined;
      }
      if (!meta || meta.Name !== ent.name) {
        // Half-created (no metadata yet): nothing ever used it.
        await rm(dir, { recursive: true, force: true });
        continue;
      }
      s.volumes.set(ent.name, meta);
    }
    return s;
  }

  private view(v: StoredVolume): Volume {
    return {
      Name: v.Name,
      Driver: 'local',
      Mountpoint: volumePaths.data(this.paths, v.Name),
      CreatedAt: v.CreatedAt,
      Labels: { ...v.Labels },
      Options: { ...v.Options },
      Scope: 'local',
    };
  }

  private async exclusive<T>(name: string, fn: () => Promise<T>): Promise<T> {
    while (this.busy.has(name)) await this.busy.get(name)!.catch(() => {});
    const p = fn();
    this.busy.set(name, p);
    try {
      return await p;
    } finally {
      this.busy.delete(name);
    }
  }

  async create(opts: CreateVolumeOptions): Promise<{ volume: Volume; created: boolean }> {
    const name = opts.name || randomBytes(32).toString('hex');
    const bad = volumeNameError(name);
    if (bad) throw wharfError('VOLUME_INVALID', `create ${name}: ${bad}`);
    const driver = opts.driver || 'local';
    if (driver !== 'local')
      throw wharfError(
        'VOLUME_INVALID',
        `create ${name}: error looking up volume plugin ${driver}: plugin "${driver}" not found`,
      );
    const options = opts.options ?? {};
    const keys = Object.keys(options);
    if (keys.length > 0) {
      const unknown = keys.find((k) => !['type', 'device', 'o', 'size'].includes(k));
      throw wharfError(
        'VOLUME_INVALID',
        unknown
          ? `create ${name}: invalid option key: "${unknown}"`
          : `create ${name}: local volume options (type, device, o) are not supported by wharf yet`,
      );
    }
    return this.exclusive(name, async () => {
      const existing = this.volumes.get(name);
      if (existing) return { volume: this.view(existing), created: false };
      const labels = { ...(opts.labels ?? {}) };
      if (opts.anonymous) labels[ANONYMOUS_LABEL] = '';
      const meta: StoredVolume = {
        Name: name,
        Driver: 'local',
        CreatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        Labels: labels,
        Options: {},
      };
      const dir = volumePaths.dir(this.paths, name);
      try {
        await mkdir(dir, { mode: 0o701 });
        // Docker's _data is 0755 root:root, so containers' non-root users can read it.
        await mkdir(volumePaths.data(this.paths, name), { mode: 0o755 });
        await writeJsonAtomic(volumePaths.metadata(this.paths, name), meta);
      } catch (err) {
        await rm(dir, { recursive: true, force: true }).catch(() => {});
        throw wharfError('INTERNAL', `create ${name}: ${(err as Error).message}`, err);
      }
      this.volumes.set(name, meta);
      return { volume: this.view(meta), created: true };
    });
  }

  get(name: string): Volume | undefined {
    const v = this.volumes.get(name);
    return v ? this.view(v) : undefined;
  }

  list(): Volume[] {
    return [...this.volumes.values()].map((v) => this.view(v));
  }

  async remove(name: string): Promise<void> {
    await this.exclusive(name, async () => {
      if (!this.volumes.has(name)) throw wharfError('VOLUME_NOT_FOUND', name);
      const dir = volumePaths.dir(this.paths, name);
      const trash = join(volumePaths.root(this.paths), `${TRASH_PREFIX}${randomBytes(8).toString('hex')}`);
      await rename(dir, trash);
      this.volumes.delete(name);
      await rm(trash, { recursive: true, force: true });
    });
  }

  mountpoint(name: string): string {
    return volumePaths.data(this.paths, name);
  }

  async size(name: string): Promise<number> {
    if (!this.volumes.has(name)) throw wharfError('VOLUME_NOT_FOUND', name);
    return diskUsage(volumePaths.data(this.paths, name));
  }
}

/** Bytes of everything but directories below dir (Docker's directory.Size), hard links counted once; never follows symlinks. */
export async function diskUsage(dir: string): Promise<number> {
  const seen = new Set<string>();
  let total = 0;
  const walk = async (path: string): Promise<void> => {
    let st;
    try {
      st = await lstat(path);
    } catch {
      return;
    }
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    if (!st.isDirectory()) {
      total += st.size;
      return;
    }
    let names: string[];
    try {
      names = await readdir(path);
    } catch {
      return;
    }
    for (const n of names) await walk(join(path, n));
  };
  await walk(dir);
  return total;
}

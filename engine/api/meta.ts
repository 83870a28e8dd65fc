// What the API knows about a container beyond the runtime's record: its
// current name (rename), the image it was made from, and the restart
// bookkeeping (count, manually stopped). One JSON file under
// <data-root>/api/, written atomically; entries of containers that no
// longer exist are dropped on open.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isErrno } from '../errors.js';

export interface ContainerMeta {
  name: string;
  /** Image ID (sha256:…) or '' when the rootfs was not an image. */
  imageId: string;
  restartCount: number;
  /** Stopped through the API (unless-stopped and always do not bring it back). */
  manualStop: boolean;
}

export class MetaStore {
  private readonly file: string;
  private readonly map = new Map<string, ContainerMeta>();
  private writing: Promise<void> = Promise.resolve();

  private constructor(dir: string) {
    this.file = join(dir, 'containers.json');
  }

  static async open(dataRoot: string, liveIds: Iterable<string>): Promise<MetaStore> {
    const dir = join(dataRoot, 'api');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const store = new MetaStore(dir);
    try {
      const doc = JSON.parse(await readFile(store.file, 'utf8')) as Record<string, ContainerMeta>;
      const live = new Set(liveIds);
      for (const [id, m] of Object.entries(doc)) if (live.has(id)) store.map.set(id, m);
    } catch (err) {
      if (!isErrno(err, 'ENOENT') && !(err instanceof SyntaxError)) throw err;
    }
    return store;
  }

  get(id: string): ContainerMeta | undefined {
    return this.map.get(id);
  }

  set(id: string, m: ContainerMeta): Promise<void> {
    this.map.set(id, m);
    return this.flush();
  }

  update(id: string, patch: Partial<ContainerMeta>): Promise<void> {
    const cur = this.map.get(id);
    if (!cur) return Promise.resolve();
    const keys = Object.keys(patch) as (keyof ContainerMeta)[];
    if (keys.every((k) => cur[k] === patch[k])) return this.writing.catch(() => {}); // unchanged
    this.map.set(id, { ...cur, ...patch });
    return this.flush();
  }

  delete(id: string): Promise<void> {
    this.map.delete(id);
    return this.flush();
  }

  private flush(): Promise<void> {
    const snapshot = JSON.stringify(Object.fromEntries(this.map));
    // A failed write must not poison the writes after it.
    const next = this.writing
      .catch(() => {})
      .then(async () => {
        const tmp = `${this.file}.${randomBytes(4).toString('hex')}.tmp`;
        await writeFile(tmp, snapshot, { mode: 0o600 });
        await rename(tmp, this.file);
      });
    this.writing = next;
    return next;
  }
}

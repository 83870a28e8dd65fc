// The image store: one record per image under <data-root>/images/<hex>.json,
// tags in repositories.json (tag-store.ts), the config bytes in the content
// store (the image ID is the sha256 of exactly those bytes, so it never
// changes however often the image is saved, loaded or pushed).
//
// Lifecycle of an image:
//   add     config blob put -> layers acquired -> record written -> tag/digest refs set
//   remove  refs dropped -> record deleted -> layers released (top first; the
//           layer store removes a layer when its last user goes) -> blobs no
//           other image uses deleted
// A crash between two steps leaves at worst a layer reference or a blob too
// many, never an image whose layers are gone. Mutations run one at a time.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { wharfError } from '../errors.js';
import { writeJsonAtomic } from '../runtime/atomic-file.js';
import { familiarString, formatReference, type Reference } from '../registry/reference.js';
import { isDigest, sha256Digest } from './content-store.js';
import type { ContentStore, Digest, ImageConfig, ImageRecord, ImageStore } from './index.js';
import type { LayerStore } from '../storage/layers/index.js';
import { TagStore, storableReference } from './tag-store.js';

/** What images/<hex>.json holds; the config itself lives in the content store. */
interface StoredRecord {
  id: Digest;
  chainIDs: Digest[];
  layerBlobs: (Digest | null)[];
  created: string;
  size: number;
}

export interface ImageStoreOptions {
  dataRoot: string;
  content: ContentStore;
  layers: LayerStore;
}

export type ContainerUse = { id: string; running: boolean };
export type DeleteItem = { Untagged?: string; Deleted?: string };

/** Docker's stringid.TruncateID: 12 hex characters, no algorithm. */
export function shortId(id: string): string {
  const i = id.indexOf(':');
  return (i >= 0 ? id.slice(i + 1) : id).slice(0, 12);
}

/** Parses and checks the parts of an image config Wharf relies on. */
export function parseImageConfig(bytes: Buffer): ImageConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw wharfError('INVALID_ARGUMENT', `image config is not valid JSON (${(err as Error).message})`, err);
  }
  const cfg = doc as Partial<ImageConfig> | null;
  const rootfs = cfg?.rootfs;
  if (typeof cfg !== 'object' || cfg === null || Array.isArray(cfg)) {
    throw wharfError('INVALID_ARGUMENT', 'image config is not a JSON object');
  }
  if (!rootfs || rootfs.type !== 'layers' || !Array.isArray(rootfs.diff_ids)) {
    throw wharfError('INVALID_ARGUMENT', 'image config has no rootfs of type "layers"');
  }
  for (const d of rootfs.diff_ids) {
    if (typeof d !== 'string' || !isDigest(d)) {
      throw wharfError('INVALID_ARGUMENT', `image config has an invalid diff_id ${String(d)}`);
    }
  }
  return cfg as ImageConfig;
}

function isImageIDPrefix(id: Digest, ref: string): boolean {
  return id.startsWith(ref) || id.slice('sha256:'.length).startsWith(ref);
}

/** Docker's isSingleReference: one tag, possibly with digest refs of the same repository. */
function isSingleReference(refs: Reference[]): boolean {
  if (refs.length <= 1) return refs.length === 1;
  let single: Reference | undefined;
  const canonicalRepos = new Set<string>();
  for (const r of refs) {
    if (r.digest !== undefined) canonicalRepos.add(`${r.domain}/${r.path}`);
    else if (single === undefined) single = r;
    else return false;
  }
  single ??= refs[0]!;
  return canonicalRepos.size === 1 && canonicalRepos.has(`${single.domain}/${single.path}`);
}

interface Conflict {
  hard: boolean;
  used: boolean;
  message: string;
}

const CONFLICT_RUNNING = 1;
const CONFLICT_REFERENCE = 2;
const CONFLICT_STOPPED = 4;
const CONFLICT_HARD = CONFLICT_RUNNING;
const CONFLICT_SOFT = CONFLICT_REFERENCE | CONFLICT_STOPPED;

export class FsImageStore implements ImageStore {
  readonly content: ContentStore;
  readonly layers: LayerStore;
  /** Scratch space for archives being loaded and imports; emptied on open. */
  readonly tempDir: string;
  private readonly dir: string;
  private readonly images = new Map<Digest, ImageRecord>();
  /** Records open() could not read; the engine reports them and carries on. */
  readonly damaged: Error[] = [];
  private lock: Promise<unknown> = Promise.resolve();

  private constructor(
    opts: ImageStoreOptions,
    private readonly tags: TagStore,
  ) {
    this.content = opts.content;
    this.layers = opts.layers;
    this.dir = join(opts.dataRoot, 'images');
    this.tempDir = join(this.dir, 'tmp');
  }

  /** Reads every record; removes temp files and references a crash left dangling. */
  static async open(opts: ImageStoreOptions): Promise<FsImageStore> {
    const store = new FsImageStore(opts, await TagStore.open(opts.dataRoot));
    await mkdir(store.dir, { recursive: true, mode: 0o700 });
    await rm(store.tempDir, { recursive: true, force: true });
    await mkdir(store.tempDir, { recursive: true, mode: 0o700 });
    for (const name of await readdir(store.dir)) {
      if (name.startsWith('.') && name.endsWith('.tmp')) {
        await rm(join(store.dir, name), { force: true });
        continue;
      }
      if (!/^[a-f0-9]{64}\.json$/.test(name)) continue;
      // A damaged record (edited by hand, config blob gone) is reported, not fatal:
      // the engine still starts and the other images work.
      let stored: StoredRecord;
      let config: ImageConfig;
      try {
        stored = JSON.parse(await readFile(join(store.dir, name), 'utf8')) as StoredRecord;
        config = parseImageConfig(await opts.content.readBuffer(stored.id));
      } catch (err) {
        store.damaged.push(wharfError('STORE_CORRUPT', `image record images/${name}`, err));
        continue;
      }
      store.images.set(stored.id, { ...stored, config, repoDigests: [] });
    }
    await store.tags.prune((id) => store.images.has(id));
    return store;
  }

  async add(configJSON: Buffer, layerBlobs: (Digest | null)[], repoDigest?: string): Promise<ImageRecord> {
    const config = parseImageConfig(configJSON);
    const diffIDs = config.rootfs.diff_ids;
    if (layerBlobs.length !== 0 && layerBlobs.length !== diffIDs.length) {
      throw wharfError('INVALID_ARGUMENT', `${layerBlobs.length} layer blobs for ${diffIDs.length} layers`);
    }
    const blobs = diffIDs.map((_, i) => layerBlobs[i] ?? null);
    const digestRef = repoDigest === undefined ? undefined : storableReference(repoDigest);
    if (digestRef && digestRef.digest === undefined) {
      throw wharfError('INVALID_REFERENCE', `${repoDigest} is not a repository@digest reference`);
    }
    return this.exclusive(async () => {
      const id = sha256Digest(configJSON);
      let record = this.images.get(id);
      if (record) {
        // Known image: fill in blobs learnt since, keep the layer references it holds.
        const merged = record.layerBlobs.map((b, i) => b ?? blobs[i] ?? null);
        if (merged.some((b, i) => b !== record!.layerBlobs[i])) {
          record = { ...record, layerBlobs: merged };
          await this.writeRecord(record);
          this.images.set(id, record);
        }
      } else {
        await this.content.put(configJSON);
        const chainIDs: Digest[] = [];
        let size = 0;
        let parent: Digest | null = null;
        for (const diffID of diffIDs) {
          const chainID: Digest = this.layers.chainID(parent, diffID);
          const info = await this.layers.get(chainID);
          if (!info)
            throw wharfError(
              'INVALID_ARGUMENT',
              `layer ${diffID} (chain ${chainID}) is not in the layer store`,
            );
          chainIDs.push(chainID);
          size += info.size;
          parent = chainID;
        }
        const acquired: Digest[] = [];
        try {
          for (const c of chainIDs) {
            await this.layers.acquire(c);
            acquired.push(c);
          }
          record = {
            id,
            config,
            chainIDs,
            layerBlobs: blobs,
            repoDigests: [],
            created: config.created ?? new Date(0).toISOString(),
            size,
          };
          await this.writeRecord(record);
        } catch (err) {
          for (const c of acquired.reverse()) await this.layers.release(c).catch(() => undefined);
          throw err;
        }
        this.images.set(id, record);
      }
      if (digestRef) await this.tags.set(digestRef, id);
      return this.view(record);
    });
  }

  async get(idOrRef: string): Promise<ImageRecord | undefined> {
    const r = this.resolve(idOrRef);
    return r && this.view(r);
  }

  /** get() that throws Docker's "No such image" instead of returning undefined. */
  async require(idOrRef: string): Promise<ImageRecord> {
    const r = await this.get(idOrRef);
    if (!r) throw wharfError('IMAGE_NOT_FOUND', idOrRef);
    return r;
  }

  async list(): Promise<ImageRecord[]> {
    return [...this.images.values()]
      .sort((a, b) => (a.created < b.created ? 1 : -1))
      .map((r) => this.view(r));
  }

  tagsOf(id: Digest): string[] {
    return this.tags
      .referencesTo(id)
      .filter((r) => r.digest === undefined)
      .map(formatReference);
  }

  /** Images whose layer stack is exactly `chainIDs` (for history). */
  withLayers(chainIDs: Digest[]): ImageRecord[] {
    const key = chainIDs.join(',');
    return [...this.images.values()].filter((r) => r.chainIDs.join(',') === key).map((r) => this.view(r));
  }

  /**
   * Points `ref` at the image. A tag moves from whatever image it named
   * before; a repo@digest reference records a digest the image is known by.
   */
  async tag(id: Digest, ref: string): Promise<void> {
    const parsed = storableReference(ref);
    await this.exclusive(async () => {
      const record = this.resolve(id);
      if (!record) throw wharfError('IMAGE_NOT_FOUND', id);
      await this.tags.set(parsed, record.id);
    });
  }

  /** Docker's ImageDelete (moby daemon/images/image_delete.go), without the parent-chain pruning. */
  async remove(
    ref: string,
    opts: { force: boolean; inUse: (id: Digest) => ContainerUse[] },
  ): Promise<DeleteItem[]> {
    return this.exclusive(async () => {
      const record = this.resolve(ref);
      if (!record) throw wharfError('IMAGE_NOT_FOUND', ref);
      const id = record.id;
      const records: DeleteItem[] = [];
      let repoRefs = this.tags.referencesTo(id);
      let quiet = false;

      if (!isImageIDPrefix(id, ref)) {
        const parsed = storableReference(ref);
        if (!opts.force && isSingleReference(repoRefs)) {
          const user = opts.inUse(id)[0];
          if (user) {
            throw wharfError(
              'IMAGE_CONFLICT',
              `unable to remove repository reference "${ref}" (must force) - container ${shortId(user.id)} is using its referenced image ${shortId(id)}`,
            );
          }
        }
        if (!(await this.tags.delete(parsed))) throw wharfError('IMAGE_NOT_FOUND', ref);
        records.push({ Untagged: familiarString(parsed) });
        repoRefs = this.tags.referencesTo(id);
        // A tag removed and no other tag of that repository left: its digest refs go too.
        if (parsed.digest === undefined) {
          const sameRepo = (r: Reference) => r.domain === parsed.domain && r.path === parsed.path;
          if (!repoRefs.some((r) => r.digest === undefined && sameRepo(r))) {
            const remaining: Reference[] = [];
            for (const r of repoRefs) {
              if (r.digest !== undefined && sameRepo(r)) {
                await this.tags.delete(r);
                records.push({ Untagged: familiarString(r) });
              } else remaining.push(r);
            }
            repoRefs = remaining;
          }
        }
        if (repoRefs.length > 0) return records;
        quiet = true;
      } else if (isSingleReference(repoRefs)) {
        const mask = CONFLICT_HARD | (opts.force ? 0 : CONFLICT_SOFT & ~CONFLICT_REFERENCE);
        const conflict = this.checkConflict(id, mask, opts.inUse);
        if (conflict) throw this.conflictError(id, conflict);
        for (const r of repoRefs) {
          await this.tags.delete(r);
          records.push({ Untagged: familiarString(r) });
        }
      }

      const conflict = this.checkConflict(id, CONFLICT_HARD | (opts.force ? 0 : CONFLICT_SOFT), opts.inUse);
      if (conflict) {
        const dangling = this.tags.referencesTo(id).length === 0;
        // Having untagged, leave an image that is still used (Docker's "quiet" delete).
        if (quiet && (!dangling || conflict.used)) return records;
        throw this.conflictError(id, conflict);
      }
      for (const r of this.tags.referencesTo(id)) {
        await this.tags.delete(r);
        records.push({ Untagged: familiarString(r) });
      }
      records.push({ Deleted: id });
      for (const layer of await this.deleteImage(record)) records.push({ Deleted: layer });
      return records;
    });
  }

  private checkConflict(
    id: Digest,
    mask: number,
    inUse: (id: Digest) => ContainerUse[],
  ): Conflict | undefined {
    const users = inUse(id);
    const running = users.find((c) => c.running);
    if (mask & CONFLICT_RUNNING && running) {
      return {
        hard: true,
        used: true,
        message: `image is being used by running container ${shortId(running.id)}`,
      };
    }
    if (mask & CONFLICT_REFERENCE && this.tags.referencesTo(id).length > 0) {
      return { hard: false, used: false, message: 'image is referenced in multiple repositories' };
    }
    const stopped = users.find((c) => !c.running);
    if (mask & CONFLICT_STOPPED && stopped) {
      return {
        hard: false,
        used: true,
        message: `image is being used by stopped container ${shortId(stopped.id)}`,
      };
    }
    return undefined;
  }

  private conflictError(id: Digest, c: Conflict): Error {
    const force = c.hard ? 'cannot be forced' : 'must be forced';
    return wharfError('IMAGE_CONFLICT', `unable to delete ${shortId(id)} (${force}) - ${c.message}`);
  }

  /** Drops the record, its layer references and the blobs only it used; returns the layers removed. */
  private async deleteImage(record: ImageRecord): Promise<Digest[]> {
    await rm(this.recordPath(record.id), { force: true });
    this.images.delete(record.id);
    const removed: Digest[] = [];
    for (const chainID of [...record.chainIDs].reverse()) {
      await this.layers.release(chainID);
      if (!(await this.layers.has(chainID))) removed.push(chainID);
    }
    const stillUsed = new Set<Digest>();
    for (const r of this.images.values()) for (const b of r.layerBlobs) if (b) stillUsed.add(b);
    await this.content.delete(record.id);
    for (const b of new Set(record.layerBlobs)) if (b && !stillUsed.has(b)) await this.content.delete(b);
    return removed;
  }

  private resolve(input: string): ImageRecord | undefined {
    const s = input.trim();
    if (/^[a-f0-9]{64}$/.test(s)) return this.images.get(`sha256:${s}`);
    if (/^sha256:[a-f0-9]{64}$/.test(s)) return this.images.get(s as Digest);
    let ref: Reference | undefined;
    try {
      ref = storableReference(s);
    } catch {
      ref = undefined;
    }
    if (ref) {
      const id = this.tags.lookup(ref);
      const r = id && this.images.get(id);
      if (r) return r;
    }
    // Docker's ID prefix search: any unique prefix, with or without "sha256:".
    const m = /^(?:sha256:)?([a-f0-9]+)$/.exec(s);
    if (!m) return undefined;
    const matches = [...this.images.keys()].filter((id) => id.startsWith(`sha256:${m[1]}`));
    return matches.length === 1 ? this.images.get(matches[0]!) : undefined;
  }

  /** The record as callers see it, with the digests it is known by. */
  private view(r: ImageRecord): ImageRecord {
    const repoDigests = this.tags
      .referencesTo(r.id)
      .filter((x) => x.digest !== undefined)
      .map(formatReference);
    return { ...r, repoDigests, chainIDs: [...r.chainIDs], layerBlobs: [...r.layerBlobs] };
  }

  private recordPath(id: Digest): string {
    return join(this.dir, `${id.slice('sha256:'.length)}.json`);
  }

  private async writeRecord(r: ImageRecord): Promise<void> {
    const stored: StoredRecord = {
      id: r.id,
      chainIDs: r.chainIDs,
      layerBlobs: r.layerBlobs,
      created: r.created,
      size: r.size,
    };
    await writeJsonAtomic(this.recordPath(r.id), stored, 0o600);
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }
}

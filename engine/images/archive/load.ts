// `docker load`: docker-archive or OCI image layout, plain or gzip.
//
// Lifecycle of a load:
//   1. A stream is first written to images/tmp (archives list their metadata
//      last, so layers can only be placed once the whole file is there);
//      a path is read in place.
//   2. Pass 1 reads the metadata (manifest.json, index.json, configs and
//      manifests) and checks every digest the archive states.
//   3. Further passes stream each missing layer from its tar entry straight
//      through its blob digest check into LayerStore.extract (which checks the
//      diffID) and, where the exact bytes are known by digest, into the
//      content store, so a later save or push gives back the same bytes.
//      A layer is extracted once its parent is present; archives in layer
//      order need one pass.
//   4. Images are registered and tagged.
// Each layer extracted here is held by one reference until the images hold
// theirs; on any failure those references are released (which removes the
// layers), the blobs stored here are deleted and the temp file goes, so a bad
// archive leaves nothing.
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { isWharfError } from '../../errors.js';
import { MAX_MANIFEST_SIZE } from '../../registry/manifest.js';
import type { Digest } from '../index.js';
import { shortId, type FsImageStore } from '../image-store.js';
import { archiveError, parseArchive, type ArchiveIndex, type LayerPlan } from './formats.js';
import {
  Verifier,
  detectCompression,
  peek,
  readAll,
  scanTar,
  tee,
  through,
  type TarEntry,
} from './streams.js';

export interface LoadProgress {
  /** Short diffID of the layer. */
  id: string;
  status: 'Loading layer';
  current: number;
  total: number;
}

export interface LoadOptions {
  signal?: AbortSignal;
  onProgress?: (p: LoadProgress) => void;
}

export interface LoadedImage {
  id: Digest;
  /** Normalized references now pointing at the image. */
  tags: string[];
}

/** One archive file to read: into a layer (when `chainID`), into the content store, or both. */
interface Job {
  path: string;
  layer: LayerPlan;
  chainID?: Digest;
  parent: Digest | null;
}

export async function loadImages(
  store: FsImageStore,
  input: Readable | string,
  opts: LoadOptions = {},
): Promise<LoadedImage[]> {
  if (typeof input === 'string') return loadFile(store, input, opts);
  const spool = join(store.tempDir, `load-${randomBytes(8).toString('hex')}.tar`);
  try {
    await pipeline(
      input,
      createWriteStream(spool, { flags: 'wx', mode: 0o600 }),
      opts.signal ? { signal: opts.signal } : {},
    );
    return await loadFile(store, spool, opts);
  } finally {
    await rm(spool, { force: true });
  }
}

/** Archive problems become ARCHIVE_INVALID; system errors (ENOSPC, EACCES...) and aborts stay as they are. */
function wrap(err: unknown, where?: string): unknown {
  if (isWharfError(err, 'ARCHIVE_INVALID')) return err;
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno === 'number' || e?.name === 'AbortError') return err;
  const msg = e?.message ?? String(err);
  return archiveError(where ? `${where}: ${msg}` : msg, err);
}

async function readIndex(path: string, signal?: AbortSignal): Promise<ArchiveIndex> {
  const ix: ArchiveIndex = { files: new Map(), small: new Map(), links: new Map() };
  await scanTar(
    path,
    async (e) => {
      if (e.type === 'symlink' || e.type === 'link') {
        ix.links.set(e.name, { target: e.linkname ?? '', hard: e.type === 'link' });
        return;
      }
      if (e.type !== 'file') return;
      if (ix.files.has(e.name)) throw archiveError(`${e.name} appears twice`);
      ix.files.set(e.name, e.size);
      if (e.size > MAX_MANIFEST_SIZE) return;
      // Metadata is JSON (an object, or manifest.json's list); layers never look like it.
      const { head, stream } = await peek(e.stream);
      const first = head.toString('latin1').trimStart()[0];
      if (first !== '{' && first !== '[') {
        for await (const _ of stream);
        return;
      }
      ix.small.set(e.name, await readAll(stream, MAX_MANIFEST_SIZE));
    },
    signal,
  );
  return ix;
}

async function loadFile(store: FsImageStore, path: string, opts: LoadOptions): Promise<LoadedImage[]> {
  const { layers, content } = store;
  let plans;
  let ix: ArchiveIndex;
  try {
    ix = await readIndex(path, opts.signal);
    plans = parseArchive(ix);
  } catch (err) {
    throw isWharfError(err) ? err : wrap(err);
  }

  // What must be read from the archive: missing layers, and blobs the content store lacks.
  const jobs: Job[] = [];
  const planned = new Set<string>();
  for (const plan of plans) {
    let parent: Digest | null = null;
    for (const l of plan.layers) {
      const chainID: Digest = layers.chainID(parent, l.diffID);
      const needLayer = !(await layers.has(chainID));
      const needBlob = l.blob !== undefined && !(await content.has(l.blob));
      const key = needLayer ? chainID : `blob ${l.path}`;
      if ((needLayer || needBlob) && !planned.has(key)) {
        planned.add(key);
        if (!ix.files.has(l.path)) throw archiveError(`layer ${l.path} is missing from the archive`);
        const job: Job = { path: l.path, layer: l, parent };
        if (needLayer) job.chainID = chainID;
        jobs.push(job);
      }
      parent = chainID;
    }
  }

  const held: Digest[] = [];
  const stored: Digest[] = [];
  const done = new Set<Digest>();
  let registered = false;
  try {
    let pending = jobs;
    while (pending.length > 0) {
      const before = pending.length;
      await scanTar(
        path,
        async (e) => {
          if (e.type !== 'file') return;
          for (const job of pending) {
            if (job.path !== e.name) continue;
            const ready =
              job.chainID === undefined ||
              job.parent === null ||
              done.has(job.parent) ||
              (await layers.has(job.parent));
            if (!ready) continue;
            await readLayer(store, job, e, opts, held, stored).catch((err: unknown) => {
              throw wrap(err, `layer ${job.path}`);
            });
            if (job.chainID) done.add(job.chainID);
            pending = pending.filter((j) => j !== job);
            return;
          }
        },
        opts.signal,
      );
      if (pending.length === before)
        throw archiveError(`layer ${pending[0]!.path} has no parent layer in the archive`);
    }

    const loaded: LoadedImage[] = [];
    for (const plan of plans) {
      const blobs: (Digest | null)[] = [];
      for (const l of plan.layers) {
        const b = l.blob ?? l.diffID;
        blobs.push((await content.has(b)) ? b : null);
      }
      const record = await store.add(plan.config, blobs);
      registered = true;
      for (const t of plan.tags) await store.tag(record.id, t);
      loaded.push({ id: record.id, tags: plan.tags });
    }
    return loaded;
  } catch (err) {
    if (!registered) for (const b of stored) await content.delete(b).catch(() => undefined);
    throw isWharfError(err) ? err : wrap(err);
  } finally {
    for (const c of held.reverse()) await layers.release(c).catch(() => undefined);
  }
}

/** Streams one archive entry through its checks into the layer store and/or the content store. */
async function readLayer(
  store: FsImageStore,
  job: Job,
  e: TarEntry,
  opts: LoadOptions,
  held: Digest[],
  stored: Digest[],
): Promise<void> {
  const { layer } = job;
  const fail = (problem: string) => archiveError(`layer ${job.path}: ${problem}`);
  if (layer.size !== undefined && e.size !== layer.size)
    throw fail(`${e.size} bytes, the manifest says ${layer.size}`);
  const { head, stream } = await peek(e.stream);
  const compression = layer.compression ?? detectCompression(head);
  // The bytes as they are here are worth keeping when a digest names them:
  // the stated blob digest, or the diffID of an uncompressed layer.
  const blob = layer.blob ?? (compression === 'none' ? layer.diffID : undefined);
  const keepBlob = blob !== undefined && !(await store.content.has(blob));
  const src = layer.blob ? through(stream, new Verifier(layer.blob, e.size, fail)) : stream;

  const tasks: Promise<unknown>[] = [];
  const branches: [Readable, Readable] = job.chainID && keepBlob ? tee(src) : [src, src];
  if (job.chainID) {
    const total = e.size;
    const id = shortId(layer.diffID);
    tasks.push(
      store.layers
        .extract(branches[0], {
          parentChainID: job.parent,
          expectedDiffID: layer.diffID,
          compression,
          ...(opts.signal ? { signal: opts.signal } : {}),
          onProgress: (current) => opts.onProgress?.({ id, status: 'Loading layer', current, total }),
        })
        .then(async (info) => {
          await store.layers.acquire(info.chainID);
          held.push(info.chainID);
        }),
    );
  }
  if (keepBlob) {
    tasks.push(
      store.content.ingest(branches[1], blob, opts.signal ? { signal: opts.signal } : {}).then(() => {
        stored.push(blob);
      }),
    );
  }
  const results = await Promise.allSettled(
    tasks.map((t) =>
      t.catch((err: unknown) => {
        src.destroy(err as Error);
        throw err;
      }),
    ),
  );
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

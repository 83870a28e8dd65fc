// Pull: reference -> manifest (platform chosen from an index) -> config ->
// layers -> image record and tag.
//
// Each missing layer is downloaded once (3 at a time by default) through its
// digest check into the content store, then extracted from there: the
// stored file itself is the extraction helper's stdin (no byte of it passes
// through this process; the helper gunzips, computes the diffID and untars).
// A download slot is freed as soon as its bytes are in, so downloads run
// ahead of extraction.
//
// Layers extract side by side, each as soon as its blob is in, not in layer
// order: every layer goes into its own directory under a chainID computed
// from the config's diffIDs, so none needs the one below on disk. The image
// is registered (and its layers referenced) only once all are in; a layer
// left without its parent by a failure or crash is unreferenced, and the
// start-up reconcile (images/reconcile.ts) removes it if no pull completes
// it first. `ordered: true` restores Docker's one-after-another order.
//
// "tee" mode instead streams a download into the content store and the
// extraction at once. The stream handed to extraction ends only after the
// digest was verified (VerifyingStream fails instead of ending), and the
// layer store commits a layer only after its diffID matched the verified
// config, so no unverified byte is committed in either mode. "store" is the
// default: measured with bench/pull it is faster (reading the stored file
// in the helper costs less than piping every byte through this process),
// and a teed download is paced by its extraction, holding its slot longer.
//
// Layers already in the layer store (by chainID) are "Already exists"; blobs
// already in the content store (an interrupted earlier pull) are extracted
// without download. A failure aborts the other transfers; completed blobs and
// layers stay, so the next pull resumes where this one stopped.
import { PassThrough, Readable, Transform, type TransformCallback } from 'node:stream';
import { setMaxListeners } from 'node:events';
import { pipeline } from 'node:stream/promises';
import { isWharfError, wharfError } from '../errors.js';
import type { ContentStore, Digest, ImageConfig, ImageRecord, ImageStore } from '../images/index.js';
import { VerifyingStream, isDigest } from '../images/content-store.js';
import { isLayerFile, type LayerFile, type LayerInfo, type LayerStore } from '../storage/layers/index.js';
import type { RegistryClient } from './client.js';
import {
  formatPlatform,
  hostPlatform,
  layerCompression,
  parseManifest,
  selectPlatform,
  type Descriptor,
  type ImageManifest,
  type Platform,
} from './manifest.js';
import { Throttle, detail, shortId, type ProgressEvent, type ProgressListener } from './progress.js';
import { familiarString, formatReference, parseReference, repoName, type Reference } from './reference.js';
import { Repository } from './repository.js';
import { Tee } from './tee.js';

export const DEFAULT_CONCURRENT_DOWNLOADS = 3;
const MAX_CONFIG_SIZE = 32 * 1024 * 1024;

export interface PullDeps {
  client: RegistryClient;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
}

export interface PullOptions {
  platform?: Platform;
  /** Parallel layer downloads (default 3). */
  concurrency?: number;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  /**
   * "store" (default): verify into the content store, then extract from it.
   * "tee": also extract while downloading when the parent layer is present.
   */
  mode?: 'tee' | 'store';
  /**
   * True: extract a layer only once the layer below is in the layer store
   * (Docker's order). False (default): every layer extracts as soon as its
   * bytes are in, alongside the others; each goes into its own directory
   * under a chainID computed from the config's diffIDs, so none needs the
   * one below on disk, and the image is registered only once all are in.
   */
  ordered?: boolean;
}

export interface PullResult {
  image: ImageRecord;
  /** Normalized reference pulled ("docker.io/library/busybox:latest"). */
  reference: string;
  /** Digest of the manifest (or index) the reference resolved to. */
  digest: Digest;
  /** "docker.io/library/busybox@sha256:..." */
  repoDigest: string;
  /** Compressed digests of the layers fetched over the network. */
  downloaded: Digest[];
  /** chainIDs that were already present. */
  existed: Digest[];
}

class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: unknown) => void;
  settled = false;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = (v) => {
        this.settled = true;
        res(v);
      };
      this.reject = (e) => {
        this.settled = true;
        rej(e);
      };
    });
    this.promise.catch(() => undefined);
  }
}

/** Counts bytes flowing through and reports them. */
class Counter extends Transform {
  bytes = 0;
  constructor(private readonly onBytes: (n: number) => void) {
    super();
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    this.onBytes(this.bytes);
    cb(null, chunk);
  }
}

function parseConfig(bytes: Buffer, layerCount: number): ImageConfig {
  let cfg: ImageConfig;
  try {
    cfg = JSON.parse(bytes.toString('utf8')) as ImageConfig;
  } catch (err) {
    throw wharfError('MANIFEST_INVALID', 'image config is not valid JSON', err);
  }
  const ids = (cfg as Partial<ImageConfig>).rootfs?.diff_ids;
  if (!Array.isArray(ids) || !ids.every((d) => typeof d === 'string' && isDigest(d))) {
    throw wharfError('MANIFEST_INVALID', 'image config has no valid rootfs.diff_ids');
  }
  if (ids.length !== layerCount) {
    throw wharfError(
      'MANIFEST_INVALID',
      `manifest lists ${layerCount} layers but the image config has ${ids.length} diff_ids`,
    );
  }
  return cfg;
}

/** Runs tasks `limit` at a time; every task runs (or sees the abort) before this settles. */
async function runLimited(tasks: (() => Promise<void>)[], limit: number): Promise<unknown[]> {
  let next = 0;
  const errors: unknown[] = [];
  const workers = Array.from({ length: Math.min(limit, tasks.length) }, async () => {
    while (next < tasks.length) {
      const t = tasks[next++]!;
      try {
        await t();
      } catch (err) {
        errors.push(err);
      }
    }
  });
  await Promise.all(workers);
  return errors;
}

/** Resolves a reference to a manifest on the first endpoint (mirror or registry) that has it. */
async function resolveManifest(
  client: RegistryClient,
  ref: Reference,
  platform: Platform,
  signal: AbortSignal | undefined,
): Promise<{
  repo: Repository;
  top: { bytes: Buffer; digest: Digest };
  manifest: ImageManifest;
  bytes: Buffer;
  digest: Digest;
}> {
  let lastErr: unknown;
  for (const ep of client.endpoints(ref.domain)) {
    const repo = new Repository(client, ref, ep, ['pull']);
    try {
      const top = await repo.getManifest(ref.digest ?? ref.tag ?? 'latest', signal);
      const parsed = parseManifest(top.bytes, top.contentType, top.digest);
      if (parsed.kind === 'manifest')
        return { repo, top, manifest: parsed, bytes: top.bytes, digest: top.digest };
      const chosen: Descriptor = selectPlatform(parsed, platform);
      const child = await repo.getManifest(chosen.digest, signal);
      const m = parseManifest(child.bytes, child.contentType, chosen.digest);
      if (m.kind !== 'manifest')
        throw wharfError(
          'MANIFEST_INVALID',
          `index entry for ${formatPlatform(platform)} is itself an index`,
        );
      return { repo, top, manifest: m, bytes: child.bytes, digest: child.digest };
    } catch (err) {
      if (!ep.mirror || signal?.aborted) throw err;
      lastErr = err;
    }
  }
  throw lastErr ?? wharfError('REGISTRY_ERROR', `no endpoint for ${ref.domain}`);
}

export async function pull(deps: PullDeps, input: string, opts: PullOptions = {}): Promise<PullResult> {
  const { client, content, layers, images } = deps;
  const emit = (ev: ProgressEvent): void => opts.onProgress?.(ev);
  const ref = parseReference(input);
  const platform = opts.platform ?? hostPlatform();
  const mode = opts.mode ?? 'store';
  const ordered = opts.ordered ?? false;

  // Docker prints the repository path without its registry ("library/busybox",
  // "foo" for localhost:5000/foo): moby's reference.Path().
  emit({
    status: `Pulling from ${ref.path}`,
    id: ref.tag ?? ref.digest ?? '',
  });
  const { repo, top, manifest, bytes } = await resolveManifest(client, ref, platform, opts.signal);

  // Config: small, verified, stored.
  const cfgDesc = manifest.config;
  if (cfgDesc.size > MAX_CONFIG_SIZE)
    throw wharfError('MANIFEST_INVALID', `image config is ${cfgDesc.size} bytes`);
  if (!(await content.has(cfgDesc.digest))) {
    const res = await repo.getBlob(cfgDesc.digest, opts.signal);
    await content.ingest(res.body, cfgDesc.digest, { size: cfgDesc.size, signal: opts.signal });
  }
  const configBytes = await content.readBuffer(cfgDesc.digest);
  const config = parseConfig(configBytes, manifest.layers.length);
  for (const l of manifest.layers) layerCompression(l.mediaType); // rejects unknown media types up front
  const imageExisted = (await images.get(cfgDesc.digest)) !== undefined;

  // chainIDs bottom to top.
  const chainIDs: Digest[] = [];
  for (const diffID of config.rootfs.diff_ids) {
    chainIDs.push(layers.chainID(chainIDs.at(-1) ?? null, diffID));
  }

  const abort = new AbortController();
  setMaxListeners(0, abort.signal); // one listener per stream of each layer
  const onOuterAbort = (): void => abort.abort(opts.signal?.reason);
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const signal = abort.signal;

  const present = chainIDs.map(() => new Deferred<void>());
  const blobStored = new Map<Digest, Deferred<void>>();
  const fetched = new Set<Digest>();
  const existed: Digest[] = [];
  const tasks: (() => Promise<void>)[] = [];
  const completions: Promise<void>[] = [];
  let started = 0;

  /**
   * Fetches and extracts one layer. `downloaded` resolves when the network
   * part is over, which frees the download slot while extraction goes on.
   */
  const pullLayer = async (i: number, desc: Descriptor, downloaded: Deferred<void>): Promise<void> => {
    const id = shortId(desc.digest);
    const chainID = chainIDs[i]!;
    const parent = i === 0 ? null : chainIDs[i - 1]!;
    const diffID = config.rootfs.diff_ids[i]!;
    const parentReady = i === 0 ? Promise.resolve() : present[i - 1]!.promise;
    const compression = layerCompression(desc.mediaType);
    const total = desc.size;
    const throttle = new Throttle();
    const extractThrottle = new Throttle();
    // In tee mode extraction runs alongside the download; its progress is
    // shown once the download is complete, as Docker's per-layer line expects.
    let showExtracting = false;
    let extracted = 0;

    const extract = async (input: Readable | LayerFile): Promise<LayerInfo> => {
      // A stream (tee) is counted as it is fed; a stored blob goes to the
      // extraction helper as a file, and its progress shows at the end.
      let fed: Readable | LayerFile = input;
      let counter: Counter | undefined;
      if (!isLayerFile(input)) {
        counter = new Counter((n) => {
          extracted = n;
          if (showExtracting && extractThrottle.due(n === total)) emit(detail('Extracting', id, n, total));
        });
        fed = input.pipe(counter);
        input.on('error', (e) => counter?.destroy(e));
        // Errors reach us through extract()'s rejection; don't let a late one go uncaught.
        counter.on('error', () => undefined);
      }
      // The layer store's helper gunzips, hashes and untars in one pass.
      let info: LayerInfo;
      try {
        info = await layers.extract(fed, {
          parentChainID: parent,
          parentPending: !ordered,
          expectedDiffID: diffID,
          compression,
          signal,
          onProgress: counter ? undefined : (n) => emit(detail('Extracting', id, n, total)),
        });
      } finally {
        // Whatever happened, stop reading: a tee drops this output.
        if (!isLayerFile(input)) input.destroy();
        counter?.destroy();
      }
      if (info.chainID !== chainID) {
        throw wharfError('INTERNAL', `layer ${id} extracted as ${info.chainID}, expected ${chainID}`);
      }
      return info;
    };

    const fromStore = async (): Promise<void> => {
      if (ordered) await parentReady;
      showExtracting = true;
      emit(detail('Extracting', id, 0, total));
      try {
        await extract({ path: content.path(desc.digest) });
      } catch (err) {
        // A verified blob that can't be extracted (a hostile tar) is not kept.
        if (!signal.aborted) await content.delete(desc.digest);
        throw err;
      }
    };

    let stored = blobStored.get(desc.digest);
    if (stored) {
      // The same blob twice in one image: wait for the first download.
      downloaded.resolve();
      await stored.promise;
      await fromStore();
      return;
    }
    stored = new Deferred<void>();
    blobStored.set(desc.digest, stored);

    if (await content.has(desc.digest)) {
      stored.resolve();
      downloaded.resolve();
      emit({ status: 'Verifying Checksum', id });
      emit({ status: 'Download complete', id });
      await fromStore();
      return;
    }

    emit(detail('Downloading', id, 0, total));
    fetched.add(desc.digest);
    const res = await repo.getBlob(desc.digest, signal);
    const counter = new Counter((n) => {
      if (throttle.due(n === total)) emit(detail('Downloading', id, n, total));
    });
    const verify = new VerifyingStream(desc.digest, total, `layer ${id} (${desc.digest})`);
    const teeNow = mode === 'tee' && (!ordered || i === 0 || present[i - 1]!.settled);

    if (!teeNow) {
      const pass = new PassThrough();
      const [f, ing] = await Promise.allSettled([
        pipeline(res.body, counter, verify, pass, { signal }),
        content.ingest(pass, desc.digest, { size: total, signal, verified: true }),
      ]);
      if (f.status === 'rejected' || ing.status === 'rejected') {
        const err: unknown = f.status === 'rejected' ? f.reason : (ing as PromiseRejectedResult).reason;
        stored.reject(err);
        throw err;
      }
      stored.resolve();
      downloaded.resolve();
      emit({ status: 'Verifying Checksum', id });
      emit({ status: 'Download complete', id });
      await fromStore();
      return;
    }

    const tee = new Tee();
    const fetching = pipeline(res.body, counter, verify, tee, { signal });
    const ingesting = content.ingest(tee.a, desc.digest, { size: total, signal, verified: true });
    const extracting = extract(tee.b);
    void fetching.then(
      () => {
        emit({ status: 'Verifying Checksum', id });
        emit({ status: 'Download complete', id });
        showExtracting = true;
        emit(detail('Extracting', id, extracted, total));
      },
      () => undefined,
    );
    void fetching.finally(() => downloaded.resolve()).catch(() => undefined);
    const [f, ing, ex] = await Promise.allSettled([fetching, ingesting, extracting]);
    if (ing.status === 'fulfilled') stored.resolve();
    else stored.reject(ing.reason);
    const failed = [f, ing, ex].find((r) => r.status === 'rejected');
    if (failed) {
      // Report the cause, not the knock-on "stream closed" of the other half.
      const reasons = [f, ing, ex].flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
      const cause =
        reasons.find((r) => isWharfError(r, 'DIGEST_MISMATCH')) ??
        reasons.find((r) => isWharfError(r)) ??
        reasons[0];
      if (ing.status === 'fulfilled' && ex.status === 'rejected' && !signal.aborted) {
        await content.delete(desc.digest); // verified but unusable (e.g. a hostile tar): don't keep it
      }
      throw cause;
    }
  };

  for (const [i, desc] of manifest.layers.entries()) {
    const id = shortId(desc.digest);
    if (await layers.has(chainIDs[i]!)) {
      existed.push(chainIDs[i]!);
      present[i]!.resolve();
      emit({ status: 'Already exists', id });
      continue;
    }
    emit({ status: 'Pulling fs layer', id });
    const limit = opts.concurrency ?? DEFAULT_CONCURRENT_DOWNLOADS;
    if (started++ >= limit) emit({ status: 'Waiting', id });
    tasks.push(async () => {
      if (signal.aborted) {
        present[i]!.reject(signal.reason);
        return;
      }
      const downloaded = new Deferred<void>();
      const done = pullLayer(i, desc, downloaded).then(
        () => {
          present[i]!.resolve();
          emit({ status: 'Pull complete', id });
        },
        (err: unknown) => {
          present[i]!.reject(err);
          abort.abort(err);
          throw err;
        },
      );
      completions.push(done);
      // The slot is free once the bytes are in; extraction goes on outside it.
      await Promise.race([downloaded.promise, done.catch(() => undefined)]);
    });
  }

  try {
    const errors = await runLimited(tasks, Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENT_DOWNLOADS));
    for (const r of await Promise.allSettled(completions)) if (r.status === 'rejected') errors.push(r.reason);
    if (errors.length > 0 || abort.signal.aborted) {
      throw abort.signal.aborted ? (abort.signal.reason as unknown) : errors[0];
    }
  } finally {
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }

  // Manifests are kept for push and save.
  if (top.bytes !== bytes) await content.put(top.bytes);
  await content.put(bytes);
  const repoDigest = `${repoName(ref)}@${top.digest}`;
  const image = await images.add(
    configBytes,
    manifest.layers.map((l) => l.digest),
    repoDigest,
  );
  if (ref.tag !== undefined)
    await images.tag(image.id, formatReference({ domain: ref.domain, path: ref.path, tag: ref.tag }));

  const downloaded = manifest.layers
    .map((l) => l.digest)
    .filter((d, i, all) => fetched.has(d) && all.indexOf(d) === i);
  emit({ status: `Digest: ${top.digest}` });
  const shown = familiarString(ref);
  emit({
    status:
      imageExisted && downloaded.length === 0
        ? `Status: Image is up to date for ${shown}`
        : `Status: Downloaded newer image for ${shown}`,
  });
  return { image, reference: formatReference(ref), digest: top.digest, repoDigest, downloaded, existed };
}

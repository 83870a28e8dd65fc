// Push: image -> layer blobs (HEAD, cross-repository mount, or upload) ->
// config blob -> manifest PUT.
//
// A layer whose compressed blob is in the content store (pulled or loaded) is
// pushed as is, so its digest stays the one other registries know. A layer
// without one (committed or imported) is tarred from the layer store,
// gzip-compressed into a temp blob while hashing, committed to the content
// store and then uploaded. When the image's original manifest is still in the
// content store and names exactly these blobs, it is pushed byte for byte, so
// the manifest digest is unchanged too.
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { createGzip } from 'node:zlib';
import { isWharfError, wharfError } from '../errors.js';
import type { ContentStore, Digest, ImageRecord, ImageStore } from '../images/index.js';
import type { LayerStore } from '../storage/layers/index.js';
import type { RegistryClient } from './client.js';
import { MediaType, parseManifest } from './manifest.js';
import { Throttle, detail, shortId, type ProgressEvent, type ProgressListener } from './progress.js';
import { familiarString, parseReference, repoName, type Reference } from './reference.js';
import { Repository } from './repository.js';

export const DEFAULT_CONCURRENT_UPLOADS = 3;

export interface PushDeps {
  client: RegistryClient;
  content: ContentStore;
  layers: LayerStore;
  images: ImageStore;
}

export interface PushOptions {
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  concurrency?: number;
  /** Upload blobs in PATCH chunks of this size instead of one PUT. */
  chunkSize?: number;
}

export interface PushResult {
  /** Normalized reference pushed. */
  reference: string;
  digest: Digest;
  size: number;
  /** Per layer: what happened to it. */
  layers: { digest: Digest; result: 'pushed' | 'exists' | 'mounted' }[];
}

interface LayerBlob {
  digest: Digest;
  size: number;
  mediaType: string;
}

async function sniffMediaType(content: ContentStore, digest: Digest): Promise<string> {
  const fh = await open(content.path(digest), 'r');
  try {
    const buf = Buffer.alloc(4);
    await fh.read(buf, 0, 4, 0);
    if (buf[0] === 0x1f && buf[1] === 0x8b) return MediaType.dockerLayerGzip;
    if (buf.readUInt32LE(0) === 0xfd2fb528) return MediaType.ociLayerZstd;
    return MediaType.ociLayer;
  } finally {
    await fh.close();
  }
}

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

async function* fileChunks(path: string, size: number): AsyncGenerator<Buffer> {
  const fh = await open(path, 'r');
  try {
    let off = 0;
    while (off < size) {
      const buf = Buffer.alloc(Math.min(size - off, 8 << 20));
      const { bytesRead } = await fh.read(buf, 0, buf.length, off);
      if (bytesRead === 0) break;
      off += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/** The original manifest, when it is stored and matches these blobs exactly. */
async function originalManifest(
  content: ContentStore,
  image: ImageRecord,
  blobs: LayerBlob[],
): Promise<{ bytes: Buffer; mediaType: string } | undefined> {
  for (const rd of image.repoDigests) {
    const digest = rd.slice(rd.indexOf('@') + 1) as Digest;
    if (!(await content.has(digest))) continue;
    const bytes = await content.readBuffer(digest);
    let m;
    try {
      m = parseManifest(bytes, undefined, digest);
    } catch {
      continue;
    }
    if (m.kind !== 'manifest' || m.config.digest !== image.id) continue;
    if (m.layers.length !== blobs.length || m.layers.some((l, i) => l.digest !== blobs[i]!.digest)) continue;
    return { bytes, mediaType: m.mediaType };
  }
  return undefined;
}

export async function push(deps: PushDeps, input: string, opts: PushOptions = {}): Promise<PushResult> {
  const { client, content, layers, images } = deps;
  const emit = (ev: ProgressEvent): void => opts.onProgress?.(ev);
  const signal = opts.signal;
  const ref: Reference = parseReference(input);
  const tag = ref.tag ?? 'latest';
  const image = (await images.get(input)) ?? (await images.get(`${repoName(ref)}:${tag}`));
  if (!image)
    throw wharfError(
      'IMAGE_NOT_FOUND',
      `${familiarString(ref)} (an image does not exist locally with this tag)`,
    );

  const endpoints = client.endpoints(ref.domain).filter((e) => !e.mirror);
  const repo = new Repository(client, ref, endpoints[0]!, ['pull', 'push']);
  emit({ status: `The push refers to repository [${repoName(ref)}]` });

  // Mount sources: other repositories on the same registry this image came from.
  const mountFrom = image.repoDigests
    .map((rd) => rd.slice(0, rd.indexOf('@')))
    .filter((name) => name.startsWith(`${ref.domain}/`) && name !== repoName(ref))
    .map((name) => name.slice(ref.domain.length + 1));

  const blobs: LayerBlob[] = new Array<LayerBlob>(image.chainIDs.length);
  const results: PushResult['layers'] = new Array<PushResult['layers'][number]>(image.chainIDs.length);

  const pushLayer = async (i: number): Promise<void> => {
    const chainID = image.chainIDs[i]!;
    let digest = image.layerBlobs[i] ?? null;
    let id = shortId(digest ?? chainID);
    if (digest === null || !(await content.has(digest))) {
      // No compressed blob: compress the layer's tar into the store, hashing as we go.
      emit({ status: 'Preparing', id });
      const gz = createGzip();
      const tar = layers.tar(chainID);
      tar.on('error', (e) => gz.destroy(e));
      const added = await content.add(tar.pipe(gz), { signal });
      digest = added.digest;
      id = shortId(digest);
    } else {
      emit({ status: 'Preparing', id });
    }
    const path = content.path(digest);
    const size = (await stat(path)).size;
    blobs[i] = { digest, size, mediaType: await sniffMediaType(content, digest) };

    emit({ status: 'Waiting', id });
    if ((await repo.headBlob(digest, signal)) !== undefined) {
      results[i] = { digest, result: 'exists' };
      emit({ status: 'Layer already exists', id });
      return;
    }
    let location: string | undefined;
    for (const from of mountFrom) {
      const r = await repo.mountBlob(digest, from, signal);
      if (r.mounted) {
        results[i] = { digest, result: 'mounted' };
        emit({ status: `Mounted from ${familiarString({ domain: ref.domain, path: from })}`, id });
        return;
      }
      location = r.location;
    }
    location ??= await repo.startUpload(signal);
    await upload(repo, location, digest, path, size, id);
    results[i] = { digest, result: 'pushed' };
    emit({ status: 'Pushed', id });
  };

  const upload = async (
    r: Repository,
    location: string,
    digest: Digest,
    path: string,
    size: number,
    id: string,
  ): Promise<void> => {
    const throttle = new Throttle();
    const report = (n: number): void => {
      if (throttle.due(n === size)) emit(detail('Pushing', id, n, size));
    };
    if (opts.chunkSize && opts.chunkSize > 0) {
      let sent = 0;
      const chunks = async function* (): AsyncGenerator<Buffer> {
        for await (const big of fileChunks(path, size)) {
          for (let o = 0; o < big.length; o += opts.chunkSize!) {
            const c = big.subarray(o, o + opts.chunkSize!);
            sent += c.length;
            report(sent);
            yield c;
          }
        }
      };
      await r.patchBlob(location, digest, chunks(), signal);
      return;
    }
    const body = createReadStream(path).pipe(new Counter(report));
    await r.putBlob(location, digest, body, size, signal);
  };

  // Bottom layers first, a few at a time.
  let next = 0;
  let failure: unknown;
  const limit = Math.max(1, opts.concurrency ?? DEFAULT_CONCURRENT_UPLOADS);
  const workers = Array.from({ length: Math.min(limit, image.chainIDs.length) }, async () => {
    while (next < image.chainIDs.length && failure === undefined) {
      const i = next++;
      try {
        await pushLayer(i);
      } catch (err) {
        failure ??= err;
      }
    }
  });
  await Promise.all(workers);
  if (failure !== undefined) throw failure;

  // Config blob.
  const configBytes = await content.readBuffer(image.id).catch((err: unknown) => {
    throw wharfError('STORE_CORRUPT', `config of image ${image.id} is missing from the content store`, err);
  });
  if ((await repo.headBlob(image.id, signal)) === undefined) {
    const loc = await repo.startUpload(signal);
    await repo.putBlob(loc, image.id, configBytes, configBytes.length, signal);
  }

  // Manifest: the original bytes when they still fit, else a new one.
  let manifest = await originalManifest(content, image, blobs);
  if (!manifest) {
    const allGzip = blobs.every((b) => b.mediaType === MediaType.dockerLayerGzip);
    const doc = allGzip
      ? {
          schemaVersion: 2,
          mediaType: MediaType.dockerManifest,
          config: { mediaType: MediaType.dockerConfig, size: configBytes.length, digest: image.id },
          layers: blobs.map((b) => ({ mediaType: b.mediaType, size: b.size, digest: b.digest })),
        }
      : {
          schemaVersion: 2,
          mediaType: MediaType.ociManifest,
          config: { mediaType: MediaType.ociConfig, size: configBytes.length, digest: image.id },
          layers: blobs.map((b) => ({
            mediaType: b.mediaType === MediaType.dockerLayerGzip ? MediaType.ociLayerGzip : b.mediaType,
            size: b.size,
            digest: b.digest,
          })),
        };
    manifest = { bytes: Buffer.from(JSON.stringify(doc, null, 3)), mediaType: doc.mediaType };
  }
  let digest: Digest;
  try {
    digest = await repo.putManifest(tag, manifest.bytes, manifest.mediaType, signal);
  } catch (err) {
    if (isWharfError(err)) throw err;
    throw wharfError('REGISTRY_ERROR', `uploading the manifest for ${tag}`, err);
  }
  await content.put(manifest.bytes);
  emit({ status: `${tag}: digest: ${digest} size: ${manifest.bytes.length}` });
  return { reference: `${repoName(ref)}:${tag}`, digest, size: manifest.bytes.length, layers: results };
}

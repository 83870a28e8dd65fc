// `docker save`: one tar holding any number of images, in either format:
//
//   'docker' (default) what Docker >= 25 writes: a docker-archive
//            (manifest.json, repositories) whose files are laid out as an OCI
//            image layout (oci-layout, index.json, blobs/sha256/<hex>), so
//            docker-archive readers (docker load, skopeo docker-archive:) and
//            OCI readers (skopeo oci-archive:, containerd) both read it. Layers
//            are uncompressed tars, named by their diffID.
//   'oci'    a plain OCI image layout; layers go out as stored (gzip/zstd
//            blobs keep their compression and digest).
//
// Layer bytes come from the blob kept in the content store (decompressed for
// 'docker'), which gives back exactly the tar the diffID names; only when no
// blob is kept is the layer re-tarred from disk, and then its digest must
// still match the diffID, or the save fails rather than write an archive whose
// image ID would change. Each layer is read twice: once to learn its size (a
// tar header needs it first) and check its digest, once to write it.
import { once } from 'node:events';
import { open, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import tar from 'tar-stream';
import { wharfError } from '../../errors.js';
import { MediaType } from '../../registry/manifest.js';
import {
  familiarName,
  familiarString,
  parseReference,
  repoName,
  type Reference,
} from '../../registry/reference.js';
import { sha256Digest } from '../content-store.js';
import type { Digest, ImageRecord } from '../index.js';
import type { Compression } from '../../storage/layers/index.js';
import type { FsImageStore } from '../image-store.js';
import {
  ANNOTATION_IMAGE_NAME,
  ANNOTATION_REF_NAME,
  OCI_LAYOUT,
  type DockerManifestEntry,
} from './formats.js';
import { Verifier, decompress, detectCompression, digestOf, through } from './streams.js';

export type SaveFormat = 'docker' | 'oci';

export interface SaveOptions {
  format?: SaveFormat;
}

interface Selected {
  record: ImageRecord;
  tags: Reference[];
}

interface LayerOut {
  digest: Digest;
  size: number;
  mediaType: string;
  open: () => Readable;
}

const LAYER_MEDIA: Record<Compression, string> = {
  none: MediaType.ociLayer,
  gzip: MediaType.ociLayerGzip,
  zstd: MediaType.ociLayerZstd,
};

function hex(d: Digest): string {
  return d.slice('sha256:'.length);
}

function blobPath(d: Digest): string {
  return `blobs/sha256/${hex(d)}`;
}

/** Which images, under which tags: `name` alone means every tag of that repository, as Docker does. */
async function select(store: FsImageStore, names: string[]): Promise<Selected[]> {
  const out = new Map<Digest, Selected>();
  const add = (record: ImageRecord, tag?: Reference) => {
    const s = out.get(record.id) ?? { record, tags: [] };
    if (tag && !s.tags.some((t) => t.tag === tag.tag && repoName(t) === repoName(tag))) s.tags.push(tag);
    out.set(record.id, s);
  };
  for (const name of names) {
    const record = await store.get(name);
    let ref: Reference | undefined;
    try {
      ref = parseReference(name, { defaultTag: false });
    } catch {
      ref = undefined;
    }
    const byId =
      record !== undefined &&
      /^(?:sha256:)?[a-f0-9]+$/.test(name) &&
      record.id.slice(7).startsWith(name.replace(/^sha256:/, ''));
    if (byId || (ref && ref.digest !== undefined)) {
      if (!record) throw wharfError('IMAGE_NOT_FOUND', name);
      add(record);
    } else if (ref && ref.tag === undefined) {
      let found = false;
      for (const r of await store.list()) {
        for (const t of store.tagsOf(r.id)) {
          const tr = parseReference(t);
          if (repoName(tr) === repoName(ref)) {
            add(r, tr);
            found = true;
          }
        }
      }
      if (!found) throw wharfError('IMAGE_NOT_FOUND', name);
    } else {
      if (!record || !ref) throw wharfError('IMAGE_NOT_FOUND', name);
      add(record, ref);
    }
  }
  return [...out.values()];
}

async function blobCompression(path: string): Promise<Compression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return detectCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Where layer `i` of `r` comes from and what it will be in the archive. */
async function layerOut(
  store: FsImageStore,
  r: ImageRecord,
  i: number,
  format: SaveFormat,
): Promise<LayerOut> {
  const diffID = r.config.rootfs.diff_ids[i]!;
  const blob = r.layerBlobs[i];
  if (blob && (await store.content.has(blob))) {
    const path = store.content.path(blob);
    const c = await blobCompression(path);
    if (c === 'none' || format === 'oci') {
      return {
        digest: blob,
        size: (await stat(path)).size,
        mediaType: LAYER_MEDIA[c],
        open: () => store.content.read(blob),
      };
    }
    const got = await digestOf(store.content.read(blob), c);
    if (got.digest !== diffID) {
      throw wharfError('STORE_CORRUPT', `blob ${blob} decompresses to ${got.digest}, not layer ${diffID}`);
    }
    return {
      digest: diffID,
      size: got.size,
      mediaType: MediaType.ociLayer,
      open: () => Readable.from(decompress(c)(store.content.read(blob))),
    };
  }
  const chainID = r.chainIDs[i]!;
  const got = await digestOf(store.layers.tar(chainID));
  if (got.digest !== diffID) throw wharfError('LAYER_NOT_REPRODUCIBLE', diffID);
  return {
    digest: diffID,
    size: got.size,
    mediaType: MediaType.ociLayer,
    open: () => store.layers.tar(chainID),
  };
}

class ArchiveWriter {
  private readonly written = new Set<string>();

  constructor(
    private readonly pack: tar.Pack,
    private readonly mtime: Date,
  ) {}

  dir(name: string): Promise<void> {
    return this.buffer(name, Buffer.alloc(0), 'directory');
  }

  buffer(name: string, body: Buffer, type: 'file' | 'directory' = 'file'): Promise<void> {
    if (this.written.has(name)) return Promise.resolve();
    this.written.add(name);
    const mode = type === 'directory' ? 0o755 : 0o644;
    return new Promise((resolve, reject) => {
      this.pack.entry({ name, type, mode, mtime: this.mtime, size: body.length }, body, (err) =>
        err ? reject(err) : resolve(),
      );
    });
  }

  /** Streams `src` as entry `name`; the bytes must hash to `digest`. */
  async stream(name: string, size: number, digest: Digest, src: Readable): Promise<void> {
    if (this.written.has(name)) {
      src.destroy();
      return;
    }
    this.written.add(name);
    let entry: ReturnType<tar.Pack['entry']> | undefined;
    const ended = new Promise<void>((resolve, reject) => {
      entry = this.pack.entry({ name, mode: 0o644, mtime: this.mtime, size }, (err) =>
        err ? reject(err) : resolve(),
      );
    });
    const verify = new Verifier(digest, size, (p) => wharfError('STORE_CORRUPT', `${name}: ${p}`));
    try {
      for await (const chunk of through(src, verify) as AsyncIterable<Buffer>) {
        if (!entry!.write(chunk)) await once(entry!, 'drain');
      }
      (entry as unknown as { end(): void }).end();
    } catch (err) {
      ended.catch(() => undefined);
      entry!.destroy(err as Error);
      throw err;
    }
    await ended;
  }
}

async function writeArchive(
  store: FsImageStore,
  names: string[],
  format: SaveFormat,
  pack: tar.Pack,
): Promise<void> {
  const images = await select(store, names);
  const w = new ArchiveWriter(pack, new Date(0));
  await w.buffer('oci-layout', Buffer.from(JSON.stringify(OCI_LAYOUT)));
  await w.dir('blobs/');
  await w.dir('blobs/sha256/');
  const index: { mediaType: string; digest: Digest; size: number; annotations?: Record<string, string> }[] =
    [];
  const dockerManifest: DockerManifestEntry[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  for (const { record: r, tags } of images) {
    const layers: LayerOut[] = [];
    for (let i = 0; i < r.chainIDs.length; i++) {
      const l = await layerOut(store, r, i, format);
      await w.stream(blobPath(l.digest), l.size, l.digest, l.open());
      layers.push(l);
    }
    const config = await store.content.readBuffer(r.id);
    await w.buffer(blobPath(r.id), config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.ociManifest,
        config: { mediaType: MediaType.ociConfig, digest: r.id, size: config.length },
        layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
      }),
    );
    const manifestDigest = sha256Digest(manifest);
    await w.buffer(blobPath(manifestDigest), manifest);
    const desc = { mediaType: MediaType.ociManifest, digest: manifestDigest, size: manifest.length };
    if (tags.length === 0) index.push(desc);
    for (const t of tags) {
      index.push({
        ...desc,
        annotations: { [ANNOTATION_IMAGE_NAME]: `${repoName(t)}:${t.tag!}`, [ANNOTATION_REF_NAME]: t.tag! },
      });
      const top = layers.at(-1);
      if (top) (repositories[familiarName(t)] ??= {})[t.tag!] = hex(top.digest);
    }
    dockerManifest.push({
      Config: blobPath(r.id),
      RepoTags: tags.length > 0 ? tags.map((t) => familiarString(t)) : null,
      Layers: layers.map((l) => blobPath(l.digest)),
    });
  }
  await w.buffer(
    'index.json',
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: index })),
  );
  if (format === 'docker') {
    await w.buffer('manifest.json', Buffer.from(JSON.stringify(dockerManifest)));
    if (Object.keys(repositories).length > 0)
      await w.buffer('repositories', Buffer.from(JSON.stringify(repositories)));
  }
}

/**
 * The archive as a stream. Images are looked up before the first byte is
 * produced; an unknown name fails the stream with Docker's "No such image".
 */
export function saveImages(store: FsImageStore, names: string[], opts: SaveOptions = {}): Readable {
  const pack = tar.pack();
  writeArchive(store, names, opts.format ?? 'docker', pack).then(
    () => pack.finalize(),
    (err: unknown) => pack.destroy(err as Error),
  );
  return Readable.from(pack as AsyncIterable<Buffer>, { objectMode: false });
}

/** Like saveImages, but resolves the names first so "No such image" can be answered before streaming. */
export async function checkSaveable(store: FsImageStore, names: string[]): Promise<void> {
  await select(store, names);
}

// Test helpers for images/: a throwaway data root with the real content,
// layer and image stores, tiny layer tars made in memory, and images built
// from them the way a pull stores them (blob in the content store, layer
// extracted, record added).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tar from 'tar-stream';
import { FileContentStore } from './content-store.js';
import { FsImageStore } from './image-store.js';
import { isRoot } from '../testing/busybox.js';
import type { Digest, ImageConfig, ImageRecord } from './index.js';
import { OverlayLayerStore } from '../storage/layers/layer-store.js';
import { defaultUntarPath } from '../storage/layers/untar.js';

export interface FileSpec {
  name: string;
  body?: string;
  type?: 'file' | 'directory' | 'symlink';
  linkname?: string;
  mode?: number;
}

/** An uncompressed tar with `files`, deterministic (fixed mtime and owners). */
export async function tarOf(files: FileSpec[]): Promise<Buffer> {
  const pack = tar.pack();
  const parts: Buffer[] = [];
  const drained = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) parts.push(c);
  })();
  for (const f of files) {
    const type = f.type ?? 'file';
    const body = Buffer.from(f.body ?? '');
    const header: Parameters<tar.Pack['entry']>[0] = {
      name: f.name,
      type,
      mode: f.mode ?? (type === 'directory' ? 0o755 : 0o644),
      mtime: new Date(1_700_000_000_000),
      uid: 0,
      gid: 0,
      ...(f.linkname ? { linkname: f.linkname } : {}),
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, body, cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await drained;
  return Buffer.concat(parts);
}

export function digestOfBuffer(b: Buffer): Digest {
  return `sha256:${createHash('sha256').update(b).digest('hex')}`;
}

export interface TestEnv {
  root: string;
  content: FileContentStore;
  layers: OverlayLayerStore;
  store: FsImageStore;
  /** Reopens the image store on the same data root (a restart). */
  reopen(): Promise<FsImageStore>;
  dispose(): Promise<void>;
}

export function haveUntarHelper(): boolean {
  return existsSync(defaultUntarPath());
}

/** Why the store tests cannot run here, or false. */
export function storeTestsSkip(): string | false {
  if (!isRoot()) return 'needs root (layer extraction runs in its own mount namespace)';
  if (!haveUntarHelper()) return 'wharf-untar not built (npx node-gyp rebuild -C native)';
  return false;
}

export async function openEnv(): Promise<TestEnv> {
  const root = await mkdtemp(join(tmpdir(), `wharf-images-${randomBytes(4).toString('hex')}-`));
  const content = await FileContentStore.open(root);
  const layers = new OverlayLayerStore({ dataRoot: root });
  await layers.cleanup();
  const env: TestEnv = {
    root,
    content,
    layers,
    store: await FsImageStore.open({ dataRoot: root, content, layers }),
    async reopen() {
      env.store = await FsImageStore.open({ dataRoot: root, content, layers });
      return env.store;
    },
    dispose: () => rm(root, { recursive: true, force: true }),
  };
  return env;
}

export interface ImageSpec {
  /** Uncompressed layer tars, bottom first. */
  layers: Buffer[];
  history?: NonNullable<ImageConfig['history']>;
  cmd?: string[];
  created?: string;
  /** Store layer blobs gzip-compressed (as pulled) rather than plain. */
  gzip?: boolean;
  tags?: string[];
  repoDigest?: string;
}

export function configFor(spec: ImageSpec): Buffer {
  const diffIDs = spec.layers.map(digestOfBuffer);
  const created = spec.created ?? '2024-01-02T03:04:05Z';
  const config: ImageConfig = {
    architecture: 'amd64',
    os: 'linux',
    created,
    config: { Cmd: spec.cmd ?? ['/bin/sh'], Env: ['PATH=/usr/bin:/bin'] },
    rootfs: { type: 'layers', diff_ids: diffIDs },
    history: spec.history ?? diffIDs.map((_, i) => ({ created, created_by: `ADD layer${i} /` })),
  };
  return Buffer.from(JSON.stringify(config));
}

/** Stores an image as a pull would: blobs, extracted layers, record, tags. */
export async function makeImage(env: TestEnv, spec: ImageSpec): Promise<ImageRecord> {
  const blobs: Digest[] = [];
  let parent: Digest | null = null;
  for (const layer of spec.layers) {
    const blob = spec.gzip ? gzipSync(layer) : layer;
    const digest = digestOfBuffer(blob);
    await env.content.ingest(Readable.from([blob]), digest);
    blobs.push(digest);
    const info = await env.layers.extract(Readable.from([blob]), {
      parentChainID: parent,
      expectedDiffID: digestOfBuffer(layer),
    });
    parent = info.chainID;
  }
  const record = await env.store.add(configFor(spec), blobs, spec.repoDigest);
  for (const t of spec.tags ?? []) await env.store.tag(record.id, t);
  return record;
}

/** Files left in the temp dirs of every store (should be none after any operation). */
export async function leftovers(env: TestEnv): Promise<string[]> {
  const out: string[] = [];
  for (const dir of ['images/tmp', 'blobs/tmp', 'layers/tmp']) {
    const names = await readdir(join(env.root, dir)).catch(() => [] as string[]);
    out.push(...names.map((n) => `${dir}/${n}`));
  }
  return out;
}

export async function layerDirs(env: TestEnv): Promise<string[]> {
  return (await readdir(join(env.root, 'layers')).catch(() => [] as string[])).filter((n) =>
    /^[a-f0-9]{64}$/.test(n),
  );
}

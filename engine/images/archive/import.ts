// `docker import`: a root filesystem tarball (plain, gzip or zstd) becomes a
// one-layer image with a minimal config for the host platform.
//
// The tarball streams once, through a tee: into the layer store's confined
// extraction, and into the content store under the digest it hashes to, so a
// later save or push gives back the exact bytes the diffID names. The layer
// is held by a reference of its own until the image holds one; a failure
// releases it (which removes it) and deletes the blob.
import type { Readable } from 'node:stream';
import { hostPlatform } from '../../registry/manifest.js';
import { importRootfsTar } from '../../storage/layers/import-export.js';
import type { Digest, ImageConfig, ImageRecord } from '../index.js';
import type { LayerInfo } from '../../storage/layers/index.js';
import type { FsImageStore } from '../image-store.js';
import { tee } from './streams.js';

export interface ImportOptions {
  /** Tag for the new image ("name:tag"). */
  ref?: string;
  /** Container config fields (Cmd, Env, ...), as `docker import --change` sets them. */
  changes?: NonNullable<ImageConfig['config']>;
  /** History comment; Docker's default names the source ("Imported from -" for stdin). */
  message?: string;
  source?: string;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

export async function importImage(
  store: FsImageStore,
  input: Readable,
  opts: ImportOptions = {},
): Promise<ImageRecord> {
  const [toLayer, toBlob] = tee(input);
  const signal = opts.signal ? { signal: opts.signal } : {};
  let held: Digest | undefined;
  let blob: Digest | undefined;
  let done = false;
  try {
    const guard = <T>(p: Promise<T>): Promise<T> =>
      p.catch((err: unknown) => {
        input.destroy(err as Error);
        throw err;
      });
    const [layer, stored] = await Promise.allSettled([
      guard(
        importRootfsTar(store.layers, toLayer, {
          ...signal,
          ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        }).then(async (info) => {
          await store.layers.acquire(info.chainID);
          held = info.chainID;
          return info;
        }),
      ),
      guard(
        store.content.add(toBlob, signal).then((r) => {
          blob = r.digest;
        }),
      ),
    ]);
    if (layer.status === 'rejected') throw layer.reason;
    if (stored.status === 'rejected') throw stored.reason;
    const info: LayerInfo = layer.value;

    const platform = hostPlatform();
    const now = new Date().toISOString();
    const config: ImageConfig = {
      architecture: platform.architecture,
      ...(platform.variant ? { variant: platform.variant } : {}),
      config: opts.changes ?? {},
      created: now,
      history: [{ created: now, comment: opts.message ?? `Imported from ${opts.source ?? '-'}` }],
      os: platform.os,
      rootfs: { type: 'layers', diff_ids: [info.diffID] },
    };
    const record = await store.add(Buffer.from(JSON.stringify(config)), [blob!]);
    done = true;
    if (opts.ref) await store.tag(record.id, opts.ref);
    return (await store.get(record.id)) ?? record;
  } finally {
    if (held) await store.layers.release(held).catch(() => undefined);
    if (!done && blob && !(await store.list()).some((r) => r.layerBlobs.includes(blob!))) {
      await store.content.delete(blob).catch(() => undefined);
    }
  }
}

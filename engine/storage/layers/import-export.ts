// `docker import` and `docker export` at the layer level: a root filesystem
// tarball becomes one layer (same defences as any layer), and a container's
// merged filesystem leaves as a plain tar (no whiteout conversion: the merged
// view has none). images/ and api/ turn these into images and responses.
import type { Readable } from 'node:stream';
import type { Compression, LayerInfo, LayerStore } from './index.js';
import { tarDirectory } from './untar.js';

export interface ImportOptions {
  compression?: Compression;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

/**
 * Extracts a rootfs tarball (gzip, zstd or plain) as a bottom layer. Its
 * diffID is also its chainID; the image built on it has rootfs.diff_ids =
 * [diffID]. The layer is not acquired: the image store does that.
 */
export function importRootfsTar(
  store: LayerStore,
  input: Readable,
  opts: ImportOptions = {},
): Promise<LayerInfo> {
  return store.extract(input, { parentChainID: null, ...opts });
}

/** A tar of a container's merged root (absolute path of the mounted overlay). */
export function exportMerged(mergedDir: string, helper?: string): Readable {
  return tarDirectory(mergedDir, { whiteouts: false, helper });
}

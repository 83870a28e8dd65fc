// Layer store: each layer is extracted once into layers/<chainID>/diff and
// shared by every image that has it (DESIGN.md, on-disk layout).
//
// Lifecycle: extract() feeds a layer tar (gzip, zstd or plain; a stream, or a
// file on disk) to a confined extraction helper that computes the diffID and
// writes a temp dir, then renames it to layers/<chainID>/ only when the
// diffID is the expected one.
// A failed or interrupted extract leaves nothing under layers/<chainID>.
// Layers are reference-counted by images (acquire/release); release of the
// last reference removes the directory. At start the engine recomputes the
// counts from the image records (images/reconcile.ts, setRefs).
//
// extract() contract for callers: if the input stream errors, the layer is
// discarded and the error is rethrown (a WharfError as is, e.g. a blob
// DIGEST_MISMATCH from a verifying stream, which must error rather than end);
// when the layer is already present (expectedDiffID given) the input is
// destroyed unread. cleanup() must run only when no extract() is in flight
// (engine start). Implementation: layer-store.ts (createLayerStore), the
// confined helper driver: untar.ts, fixtures for tests: testing.ts.
import type { Readable } from 'node:stream';

export type Digest = `sha256:${string}`;
export type Compression = 'gzip' | 'zstd' | 'none';

export interface ExtractOptions {
  /** chainID of the layer below, or null for the bottom layer. */
  parentChainID: Digest | null;
  /** When known (from the image config), extraction fails unless it matches. */
  expectedDiffID?: Digest;
  /**
   * The parent is being extracted alongside (a pull extracting its layers
   * out of order): don't require it to be present yet. The caller must not
   * use the layer before its parent is in; a crash may leave it without one,
   * which the start-up reconcile removes as unreferenced.
   */
  parentPending?: boolean;
  /** Omitted: detected from the stream's magic bytes. */
  compression?: Compression;
  signal?: AbortSignal;
  /** Called with the input bytes (as given, compressed or not) consumed so far. */
  onProgress?: (bytes: number) => void;
}

/**
 * A layer blob already on disk (the content store's file): the helper reads
 * it directly, no byte of it passes through the engine (gzip and plain; a
 * zstd file is streamed). Its size is reported through onProgress at the end.
 */
export interface LayerFile {
  path: string;
}

export interface LayerInfo {
  chainID: Digest;
  diffID: Digest;
  parentChainID: Digest | null;
  /** Size of the extracted content in bytes. */
  size: number;
}

export interface LayerStore {
  /** ChainID as Docker computes it: bottom = diffID; next = sha256(parent + " " + diffID). */
  chainID(parentChainID: Digest | null, diffID: Digest): Digest;
  has(chainID: Digest): Promise<boolean>;
  get(chainID: Digest): Promise<LayerInfo | undefined>;
  /** Absolute path of layers/<chainID>/diff (for overlay lowerdir). */
  diffDir(chainID: Digest): string;
  extract(input: Readable | LayerFile, opts: ExtractOptions): Promise<LayerInfo>;
  /** A plain tar of the layer's content with whiteouts as .wh. entries (save, push of committed layers). */
  tar(chainID: Digest): Readable;
  acquire(chainID: Digest): Promise<void>;
  /** Drops one reference; removes the layer when none is left. */
  release(chainID: Digest): Promise<void>;
  /** Current reference count (0 for an unknown or unreferenced layer). */
  refs(chainID: Digest): Promise<number>;
  /**
   * Sets the reference count outright (the start-up reconcile, which
   * recomputes counts from the image records); 0 removes the layer.
   */
  setRefs(chainID: Digest, n: number): Promise<void>;
  list(): Promise<LayerInfo[]>;
  /** Removes temp dirs a crash left behind. */
  cleanup(): Promise<void>;
}

export { createLayerStore, chainIDOf, chainIDsOf, type LayerStoreOptions } from './layer-store.js';
export {
  tarDirectory,
  isLayerFile,
  DEFAULT_UNTAR_LIMITS,
  type TarDirectoryOptions,
  type UntarLimits,
} from './untar.js';
export { importRootfsTar, exportMerged, type ImportOptions } from './import-export.js';

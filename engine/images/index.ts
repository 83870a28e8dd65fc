// Images: the content store (blobs by digest) and the image store (image
// records by ID = sha256 of the config JSON, plus tags in repositories.json).
import type { Readable } from 'node:stream';
import type { Digest } from '../storage/layers/index.js';

export type { Digest };

/**
 * Content-addressed blobs under blobs/sha256/<hex>. Every byte is verified
 * before it is committed: write to a temp name, hash, fsync, rename.
 * A writer that is not committed leaves nothing behind.
 */
export interface ContentStore {
  has(digest: Digest): Promise<boolean>;
  path(digest: Digest): string;
  read(digest: Digest): Readable;
  readBuffer(digest: Digest): Promise<Buffer>;
  /**
   * Streams input to the store; rejects (and removes the temp file) when the digest differs.
   * `verified`: the caller feeds the stream from a VerifyingStream for `expected`, so it
   * ends cleanly only for verified bytes; the store then skips hashing them a second time.
   */
  ingest(
    input: Readable,
    expected: Digest,
    opts?: { size?: number; signal?: AbortSignal; verified?: boolean },
  ): Promise<void>;
  put(data: Buffer): Promise<Digest>;
  /** Streams local content (not from the network) in and stores it under the digest it hashes to. */
  add(input: Readable, opts?: { signal?: AbortSignal }): Promise<{ digest: Digest; size: number }>;
  delete(digest: Digest): Promise<void>;
  cleanup(): Promise<void>;
}

/** The OCI image config fields Wharf reads (the "container config" of an image). */
export interface ImageConfig {
  architecture: string;
  os: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[];
    Entrypoint?: string[] | null;
    Cmd?: string[] | null;
    WorkingDir?: string;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, object>;
    Volumes?: Record<string, object>;
    StopSignal?: string;
  };
  rootfs: { type: 'layers'; diff_ids: Digest[] };
  history?: {
    created?: string;
    created_by?: string;
    comment?: string;
    empty_layer?: boolean;
    author?: string;
  }[];
}

export interface ImageRecord {
  /** sha256 of the config JSON. */
  id: Digest;
  config: ImageConfig;
  /** chainIDs bottom to top. */
  chainIDs: Digest[];
  /** Compressed layer blob digest per layer when known (pulled/loaded), for push/save. */
  layerBlobs: (Digest | null)[];
  /** Manifest digests this image was pulled by, per repository ("host/repo@sha256:..."). */
  repoDigests: string[];
  created: string;
  size: number;
}

export interface ImageStore {
  /** Registers an image whose layers are already in the layer store (acquires them). */
  add(configJSON: Buffer, layerBlobs: (Digest | null)[], repoDigest?: string): Promise<ImageRecord>;
  get(idOrRef: string): Promise<ImageRecord | undefined>;
  list(): Promise<ImageRecord[]>;
  /** Normalized references ("docker.io/library/busybox:latest") pointing at the image. */
  tagsOf(id: Digest): string[];
  tag(id: Digest, ref: string): Promise<void>;
  /** Docker's rmi semantics; `inUse` tells which containers use an image. */
  remove(
    ref: string,
    opts: { force: boolean; inUse: (id: Digest) => { id: string; running: boolean }[] },
  ): Promise<{ Untagged?: string; Deleted?: string }[]>;
}

export {
  reconcileStores,
  type ReconcileDeps,
  type ReconcileOptions,
  type ReconcileReport,
} from './reconcile.js';

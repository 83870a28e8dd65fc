// Image manifests and indexes: Docker schema 2 (manifest and manifest list)
// and OCI (image manifest and index). Parsing is strict: the bytes must match
// their digest, stay under MAX_MANIFEST_SIZE, be complete JSON, carry either
// layers or manifests (never both), and agree with the Content-Type the
// registry sent.
import { arch as hostArch } from 'node:os';
import { wharfError } from '../errors.js';
import type { Digest } from '../images/index.js';
import { isDigest, sha256Digest } from '../images/content-store.js';

export const MAX_MANIFEST_SIZE = 4 * 1024 * 1024;

export const MediaType = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerForeignLayerGzip: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
} as const;

/** What Wharf asks registries for, best first. */
export const MANIFEST_ACCEPT = [
  MediaType.ociIndex,
  MediaType.dockerManifestList,
  MediaType.ociManifest,
  MediaType.dockerManifest,
].join(', ');

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  urls?: string[];
  annotations?: Record<string, string>;
  platform?: Platform;
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  'os.version'?: string;
  'os.features'?: string[];
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
}

export type Manifest = ImageManifest | ImageIndex;

export type LayerCompression = 'gzip' | 'zstd' | 'none';

/** Compression of a layer from its media type; throws for layers Wharf can't use. */
export function layerCompression(mediaType: string): LayerCompression {
  switch (mediaType) {
    case MediaType.dockerLayerGzip:
    case MediaType.ociLayerGzip:
    case MediaType.dockerForeignLayerGzip:
    case MediaType.ociLayerNondistGzip:
      return 'gzip';
    case MediaType.ociLayerZstd:
      return 'zstd';
    case MediaType.ociLayer:
      return 'none';
    default:
      throw wharfError('MANIFEST_INVALID', `unsupported layer media type ${mediaType}`);
  }
}

function bare(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function descriptor(v: unknown, where: string): Descriptor {
  if (!isObject(v)) throw wharfError('MANIFEST_INVALID', `${where} is not a descriptor`);
  const { mediaType, digest, size } = v;
  if (typeof digest !== 'string' || !isDigest(digest)) {
    throw wharfError('MANIFEST_INVALID', `${where} has an invalid or unsupported digest ${String(digest)}`);
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw wharfError('MANIFEST_INVALID', `${where} has an invalid size`);
  }
  if (typeof mediaType !== 'string' || mediaType === '') {
    throw wharfError('MANIFEST_INVALID', `${where} has no mediaType`);
  }
  const d: Descriptor = { mediaType, digest, size };
  if (Array.isArray(v.urls)) d.urls = v.urls.filter((u): u is string => typeof u === 'string');
  if (isObject(v.annotations)) d.annotations = v.annotations as Record<string, string>;
  if (isObject(v.platform)) {
    const p = v.platform;
    if (typeof p.architecture !== 'string' || typeof p.os !== 'string') {
      throw wharfError('MANIFEST_INVALID', `${where} has an invalid platform`);
    }
    d.platform = { architecture: p.architecture, os: p.os };
    if (typeof p.variant === 'string') d.platform.variant = p.variant;
    if (typeof p['os.version'] === 'string') d.platform['os.version'] = p['os.version'];
  }
  return d;
}

/**
 * Verifies and parses manifest bytes. `expected` is the digest the manifest
 * was requested by (or the registry's Docker-Content-Digest for a tag).
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, expected?: Digest): Manifest {
  if (bytes.length > MAX_MANIFEST_SIZE) {
    throw wharfError(
      'MANIFEST_INVALID',
      `manifest is ${bytes.length} bytes, over the ${MAX_MANIFEST_SIZE} byte limit`,
    );
  }
  if (expected !== undefined) {
    const got = sha256Digest(bytes);
    if (got !== expected) {
      throw wharfError('DIGEST_MISMATCH', `manifest has digest ${got}, expected ${expected}`);
    }
  }
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw wharfError('MANIFEST_INVALID', `manifest is not valid JSON (${(err as Error).message})`, err);
  }
  if (!isObject(doc)) throw wharfError('MANIFEST_INVALID', 'manifest is not a JSON object');

  const declared = typeof doc.mediaType === 'string' ? doc.mediaType : undefined;
  const ct = bare(contentType);
  const genericCT =
    ct === '' || ct === 'application/json' || ct === 'application/octet-stream' || ct === 'text/plain';
  if (declared !== undefined && !genericCT && declared !== ct) {
    throw wharfError(
      'MANIFEST_INVALID',
      `manifest mediaType ${declared} does not match the Content-Type ${ct} the registry sent`,
    );
  }
  if (doc.schemaVersion === 1 || ct === MediaType.dockerSchema1 || ct === MediaType.dockerSchema1Signed) {
    throw wharfError(
      'MANIFEST_INVALID',
      'Docker image manifest schema 1 is deprecated and not supported; push the image again with a current tool',
    );
  }
  if (doc.schemaVersion !== 2)
    throw wharfError('MANIFEST_INVALID', `unsupported schemaVersion ${String(doc.schemaVersion)}`);

  const hasLayers = 'layers' in doc;
  const hasManifests = 'manifests' in doc;
  if (hasLayers && hasManifests) {
    throw wharfError('MANIFEST_INVALID', 'manifest has both "layers" and "manifests"');
  }
  const mediaType = declared ?? (genericCT ? undefined : ct);

  const isIndexType = mediaType === MediaType.ociIndex || mediaType === MediaType.dockerManifestList;
  const isManifestType = mediaType === MediaType.ociManifest || mediaType === MediaType.dockerManifest;
  if (mediaType !== undefined && !isIndexType && !isManifestType) {
    throw wharfError('MANIFEST_INVALID', `unsupported manifest media type ${mediaType}`);
  }
  if (isIndexType || (mediaType === undefined && hasManifests)) {
    if (!Array.isArray(doc.manifests)) throw wharfError('MANIFEST_INVALID', 'index has no "manifests" array');
    return {
      kind: 'index',
      mediaType: mediaType ?? MediaType.ociIndex,
      manifests: doc.manifests.map((m, i) => descriptor(m, `manifests[${i}]`)),
    };
  }
  if (!Array.isArray(doc.layers)) throw wharfError('MANIFEST_INVALID', 'manifest has no "layers" array');
  return {
    kind: 'manifest',
    mediaType: mediaType ?? MediaType.ociManifest,
    config: descriptor(doc.config, 'config'),
    layers: doc.layers.map((l, i) => descriptor(l, `layers[${i}]`)),
  };
}

/** The platform Wharf runs images for: linux plus the host architecture and ARM variant. */
export function hostPlatform(): Platform {
  const map: Record<string, string> = {
    x64: 'amd64',
    ia32: '386',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
  };
  const a = map[hostArch()] ?? hostArch();
  const p: Platform = { os: 'linux', architecture: a };
  if (a === 'arm64') p.variant = 'v8';
  if (a === 'arm') {
    const v = (process.config.variables as Record<string, unknown>).arm_version;
    p.variant = `v${typeof v === 'string' || typeof v === 'number' ? String(v) : '7'}`;
  }
  return p;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

/** Variants the host can run, best first (an armv7 host runs v7, v6, v5). */
function acceptableVariants(p: Platform): (string | undefined)[] {
  if (p.architecture === 'arm64') return ['v8', undefined];
  if (p.architecture === 'arm') {
    const n = Number((p.variant ?? 'v7').slice(1));
    const out: (string | undefined)[] = [];
    for (let i = n; i >= 5; i--) out.push(`v${i}`);
    out.push(undefined);
    return out;
  }
  return [p.variant, undefined];
}

/**
 * Picks the index entry for `want` (default: the host): same os and
 * architecture, the best variant the host can run; attestation entries
 * (unknown/unknown) never match.
 */
export function selectPlatform(index: ImageIndex, want: Platform = hostPlatform()): Descriptor {
  const variants = acceptableVariants(want);
  let best: Descriptor | undefined;
  let bestRank = Infinity;
  for (const m of index.manifests) {
    const p = m.platform;
    if (!p || p.os !== want.os || p.architecture !== want.architecture) continue;
    if (m.mediaType !== MediaType.ociManifest && m.mediaType !== MediaType.dockerManifest) continue;
    const variant = p.variant === '' ? undefined : p.variant;
    let rank = variants.indexOf(variant);
    if (rank < 0 && want.variant === undefined) rank = variants.length; // any variant, worst
    if (rank < 0) continue;
    if (rank < bestRank) {
      best = m;
      bestRank = rank;
    }
  }
  if (!best) throw wharfError('NO_MATCHING_PLATFORM', formatPlatform(want));
  return best;
}

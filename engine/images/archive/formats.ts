// The two archive formats, as data:
//
// docker-archive (`docker save`): manifest.json = [{Config, RepoTags, Layers}]
//   with paths inside the tar, a `repositories` file, the config JSON and one
//   uncompressed tar per layer. Docker >= 25 lays the files out as an OCI
//   image layout (blobs/sha256/<hex>, index.json, oci-layout) in the same tar,
//   so OCI readers take the same file; Wharf writes it that way too.
// OCI image layout: oci-layout, index.json whose manifests carry
//   org.opencontainers.image.ref.name (and containerd's io.containerd.image.name),
//   blobs/<alg>/<hex> for manifests, configs and layers.
//
// parseArchive() turns the metadata of either into ImagePlans: the config
// bytes (checked against their digest wherever the archive names one) and,
// per layer, the archive path plus what must be verified while it streams.
import { wharfError } from '../../errors.js';
import {
  MediaType,
  layerCompression,
  parseManifest,
  selectPlatform,
  type Descriptor,
} from '../../registry/manifest.js';
import { parseReference, formatReference } from '../../registry/reference.js';
import { isDigest, sha256Digest } from '../content-store.js';
import type { Digest } from '../index.js';
import type { Compression } from '../../storage/layers/index.js';
import { parseImageConfig } from '../image-store.js';
import { cleanName } from './streams.js';

export const OCI_LAYOUT = { imageLayoutVersion: '1.0.0' };
export const ANNOTATION_REF_NAME = 'org.opencontainers.image.ref.name';
export const ANNOTATION_IMAGE_NAME = 'io.containerd.image.name';

export interface DockerManifestEntry {
  Config: string;
  RepoTags: string[] | null;
  Layers: string[];
}

export interface LayerPlan {
  /** Path of the layer inside the archive. */
  path: string;
  diffID: Digest;
  /** Digest of the bytes as stored in the archive, when the archive states it. */
  blob?: Digest;
  size?: number;
  compression?: Compression;
}

export interface ImagePlan {
  config: Buffer;
  id: Digest;
  layers: LayerPlan[];
  /** Normalized references to tag the image with. */
  tags: string[];
}

export function archiveError(what: string, cause?: unknown): Error {
  return wharfError('ARCHIVE_INVALID', what, cause);
}

/** Metadata read in the first pass: small files by path, plus every file's size. */
export interface ArchiveIndex {
  files: Map<string, number>;
  small: Map<string, Buffer>;
  /** Symlinks (target relative to the link) and hard links (target from the root), as old `docker save` writes for repeated layers. */
  links: Map<string, { target: string; hard: boolean }>;
}

/** Follows links to the regular file a path names. */
export function resolvePath(ix: ArchiveIndex, path: string): string {
  let p = cleanName(path);
  for (let hops = 0; hops < 16; hops++) {
    const l = ix.links.get(p);
    if (!l) return p;
    const base = l.hard ? [] : p.split('/').slice(0, -1);
    const parts: string[] = [];
    for (const c of [...base, ...l.target.split('/')]) {
      if (c === '..') {
        if (parts.length === 0) throw archiveError(`link ${p} points outside the archive`);
        parts.pop();
      } else if (c !== '' && c !== '.') parts.push(c);
    }
    p = parts.join('/');
  }
  throw archiveError(`too many links at ${path}`);
}

function file(ix: ArchiveIndex, name: string, what: string): Buffer {
  const path = resolvePath(ix, name);
  const b = ix.small.get(path);
  if (b) return b;
  if (ix.files.has(path)) throw archiveError(`${what} ${path} is too large`);
  throw archiveError(`${what} ${path} is missing from the archive`);
}

function json(ix: ArchiveIndex, path: string, what: string): unknown {
  try {
    return JSON.parse(file(ix, path, what).toString('utf8'));
  } catch (err) {
    if (err instanceof SyntaxError) throw archiveError(`${what} ${path} is not valid JSON`, err);
    throw err;
  }
}

/** The digest a path names: blobs/sha256/<hex>, <hex>.json, <hex>.tar. */
function digestInPath(path: string): Digest | undefined {
  const m = /^(?:blobs\/sha256\/([a-f0-9]{64})|([a-f0-9]{64})\.json)$/.exec(path);
  const hex = m?.[1] ?? m?.[2];
  return hex ? `sha256:${hex}` : undefined;
}

function blobPath(d: Digest): string {
  return `blobs/sha256/${d.slice('sha256:'.length)}`;
}

function normalizeTag(tag: string, where: string): string {
  try {
    return formatReference(parseReference(tag));
  } catch (err) {
    throw archiveError(`${where}: invalid tag ${JSON.stringify(tag)}`, err);
  }
}

function config(
  ix: ArchiveIndex,
  path: string,
  expected?: Digest,
): { bytes: Buffer; id: Digest; diffIDs: Digest[] } {
  const bytes = file(ix, path, 'image config');
  const id = sha256Digest(bytes);
  const named = expected ?? digestInPath(path);
  if (named && named !== id) throw archiveError(`image config ${path} has digest ${id}, expected ${named}`);
  try {
    return { bytes, id, diffIDs: parseImageConfig(bytes).rootfs.diff_ids };
  } catch (err) {
    throw archiveError(`image config ${path}: ${(err as Error).message}`, err);
  }
}

function dockerPlans(ix: ArchiveIndex): ImagePlan[] {
  const doc = json(ix, 'manifest.json', 'manifest');
  if (!Array.isArray(doc)) throw archiveError('manifest.json is not a list');
  return (doc as Partial<DockerManifestEntry>[]).map((m, i) => {
    if (typeof m?.Config !== 'string' || !Array.isArray(m.Layers)) {
      throw archiveError(`manifest.json entry ${i} has no Config or Layers`);
    }
    const cfg = config(ix, m.Config);
    if (cfg.diffIDs.length !== m.Layers.length) {
      throw archiveError(
        `manifest.json entry ${i} lists ${m.Layers.length} layers, its config ${cfg.diffIDs.length}`,
      );
    }
    const layers = m.Layers.map((p, j): LayerPlan => {
      if (typeof p !== 'string') throw archiveError(`manifest.json entry ${i} has an invalid layer path`);
      const plan: LayerPlan = { path: resolvePath(ix, p), diffID: cfg.diffIDs[j]! };
      const blob = /^blobs\/sha256\/[a-f0-9]{64}$/.test(plan.path) ? digestInPath(plan.path) : undefined;
      if (blob) plan.blob = blob;
      return plan;
    });
    const tags = (m.RepoTags ?? []).map((t) => normalizeTag(t, `manifest.json entry ${i}`));
    return { config: cfg.bytes, id: cfg.id, layers, tags };
  });
}

function blob(ix: ArchiveIndex, d: Descriptor, what: string): Buffer {
  const bytes = file(ix, blobPath(d.digest), what);
  const got = sha256Digest(bytes);
  if (got !== d.digest) throw archiveError(`${what} ${d.digest} has digest ${got}`);
  if (bytes.length !== d.size)
    throw archiveError(`${what} ${d.digest} is ${bytes.length} bytes, expected ${d.size}`);
  return bytes;
}

/** The reference an index entry names, or undefined for a bare tag ("latest") with no repository. */
function ociTag(d: Descriptor): string | undefined {
  const full = d.annotations?.[ANNOTATION_IMAGE_NAME];
  const name = full ?? d.annotations?.[ANNOTATION_REF_NAME];
  if (!name || (!full && !/[:/]/.test(name))) return undefined;
  try {
    return formatReference(parseReference(name));
  } catch {
    return undefined;
  }
}

function ociPlans(ix: ArchiveIndex): ImagePlan[] {
  const layout = json(ix, 'oci-layout', 'OCI layout marker') as { imageLayoutVersion?: unknown } | null;
  if (typeof layout?.imageLayoutVersion !== 'string')
    throw archiveError('oci-layout has no imageLayoutVersion');
  let index;
  try {
    index = parseManifest(file(ix, 'index.json', 'index'), MediaType.ociIndex);
  } catch (err) {
    throw archiveError(`index.json: ${(err as Error).message}`, err);
  }
  if (index.kind !== 'index') throw archiveError('index.json is not an image index');
  const plans = new Map<Digest, ImagePlan>();
  for (const top of index.manifests) {
    let desc = top;
    const doc = () => {
      try {
        return parseManifest(blob(ix, desc, 'manifest'), desc.mediaType, desc.digest);
      } catch (err) {
        if ((err as { code?: string }).code === 'ARCHIVE_INVALID') throw err;
        throw archiveError(`manifest ${desc.digest}: ${(err as Error).message}`, err);
      }
    };
    let m = doc();
    for (let depth = 0; m.kind === 'index'; depth++) {
      if (depth > 4) throw archiveError('image indexes nest too deep');
      desc = selectPlatform(m);
      m = doc();
    }
    const cfg = config(ix, blobPath(m.config.digest), m.config.digest);
    if (cfg.diffIDs.length !== m.layers.length) {
      throw archiveError(
        `manifest ${desc.digest} has ${m.layers.length} layers, its config ${cfg.diffIDs.length}`,
      );
    }
    const layers = m.layers.map((l, j): LayerPlan => {
      if (!isDigest(l.digest)) throw archiveError(`layer digest ${l.digest} is not sha256`);
      let compression: Compression;
      try {
        compression = layerCompression(l.mediaType);
      } catch (err) {
        throw archiveError((err as Error).message, err);
      }
      return { path: blobPath(l.digest), diffID: cfg.diffIDs[j]!, blob: l.digest, size: l.size, compression };
    });
    const plan = plans.get(cfg.id) ?? { config: cfg.bytes, id: cfg.id, layers, tags: [] };
    const tag = ociTag(top);
    if (tag && !plan.tags.includes(tag)) plan.tags.push(tag);
    plans.set(cfg.id, plan);
  }
  return [...plans.values()];
}

/** Images in the archive: docker-archive's manifest.json when present, else the OCI layout. */
export function parseArchive(ix: ArchiveIndex): ImagePlan[] {
  let plans: ImagePlan[];
  if (ix.files.has('manifest.json')) plans = dockerPlans(ix);
  else if (ix.files.has('index.json')) plans = ociPlans(ix);
  else throw archiveError('neither manifest.json (docker-archive) nor index.json (OCI layout) found');
  // The same image listed twice (several tags): merge.
  const byId = new Map<Digest, ImagePlan>();
  for (const p of plans) {
    const seen = byId.get(p.id);
    if (!seen) {
      byId.set(p.id, p);
      continue;
    }
    for (const t of p.tags) if (!seen.tags.includes(t)) seen.tags.push(t);
  }
  return [...byId.values()];
}

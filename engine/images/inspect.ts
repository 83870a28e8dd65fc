// What `docker image inspect` and `docker history` show for an image, in the
// Docker Engine API's shapes (api/ serves these objects as they are).
import { wharfError } from '../errors.js';
import { familiarString, parseReference } from '../registry/reference.js';
import type { Digest, ImageRecord } from './index.js';
import type { FsImageStore } from './image-store.js';

export interface HistoryItem {
  Id: string;
  /** Unix seconds. */
  Created: number;
  CreatedBy: string;
  Tags: string[] | null;
  Size: number;
  Comment: string;
}

export interface ImageInspect {
  Id: string;
  RepoTags: string[];
  RepoDigests: string[];
  Parent: string;
  Comment: string;
  Created: string;
  DockerVersion: string;
  Author: string;
  Config: NonNullable<ImageRecord['config']['config']>;
  Architecture: string;
  Variant?: string;
  Os: string;
  Size: number;
  GraphDriver: { Name: string; Data: Record<string, string> };
  RootFS: { Type: string; Layers: string[] };
  Metadata: { LastTagTime: string };
}

function familiar(ref: string): string {
  return familiarString(parseReference(ref, { defaultTag: false }));
}

function unixSeconds(iso: string | undefined): number {
  const t = iso === undefined ? NaN : Date.parse(iso);
  return Number.isNaN(t) ? 0 : Math.floor(t / 1000);
}

export function inspectImage(store: FsImageStore, r: ImageRecord): ImageInspect {
  const cfg = r.config as ImageRecord['config'] & { comment?: string; docker_version?: string };
  const dirs = r.chainIDs.map((c) => store.layers.diffDir(c)).reverse();
  const data: Record<string, string> = {};
  if (dirs.length > 0) data.UpperDir = dirs[0]!;
  if (dirs.length > 1) data.LowerDir = dirs.slice(1).join(':');
  const out: ImageInspect = {
    Id: r.id,
    RepoTags: store.tagsOf(r.id).map(familiar),
    RepoDigests: r.repoDigests.map(familiar),
    Parent: '',
    Comment: cfg.comment ?? '',
    Created: cfg.created ?? new Date(0).toISOString(),
    DockerVersion: cfg.docker_version ?? '',
    Author: cfg.author ?? '',
    Config: cfg.config ?? {},
    Architecture: cfg.architecture,
    Os: cfg.os,
    Size: r.size,
    GraphDriver: { Name: 'overlay2', Data: data },
    RootFS: { Type: 'layers', Layers: [...cfg.rootfs.diff_ids] },
    Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
  };
  if (cfg.variant) out.Variant = cfg.variant;
  return out;
}

/**
 * `docker history`: the config's history, newest first. Each entry is shown
 * with the ID of a local image that is exactly the image up to that step (the
 * same layer stack and the same history so far), else `<missing>`, as Docker
 * shows pulled images. Entries that made no layer have size 0.
 */
export async function imageHistory(store: FsImageStore, r: ImageRecord): Promise<HistoryItem[]> {
  const history = r.config.history ?? [];
  const out: HistoryItem[] = [];
  let layer = 0;
  for (const [k, h] of history.entries()) {
    let size = 0;
    if (!h.empty_layer) {
      const chainID = r.chainIDs[layer];
      if (chainID === undefined) {
        throw wharfError('INVALID_ARGUMENT', `image ${r.id}: too many non-empty layers in History section`);
      }
      size = (await store.layers.get(chainID))?.size ?? 0;
      layer++;
    }
    const id = k === history.length - 1 ? r.id : stepImage(store, r, k, layer);
    const tags = id ? store.tagsOf(id).map(familiar) : [];
    out.push({
      Id: id ?? '<missing>',
      Created: unixSeconds(h.created),
      CreatedBy: h.created_by ?? '',
      Tags: tags.length > 0 ? tags : null,
      Size: size,
      Comment: h.comment ?? '',
    });
  }
  return out.reverse();
}

/** A local image that is `r` as it was after history step `k` (with `layers` layers). */
function stepImage(store: FsImageStore, r: ImageRecord, k: number, layers: number): Digest | undefined {
  const prefix = (r.config.history ?? []).slice(0, k + 1);
  const same = (a: (typeof prefix)[number], b: (typeof prefix)[number] | undefined) =>
    b !== undefined && (a.created_by ?? '') === (b.created_by ?? '') && !!a.empty_layer === !!b.empty_layer;
  for (const img of store.withLayers(r.chainIDs.slice(0, layers))) {
    const h = img.config.history ?? [];
    if (img.id !== r.id && h.length === k + 1 && prefix.every((e, i) => same(e, h[i]))) return img.id;
  }
  return undefined;
}

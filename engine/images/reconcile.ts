// Start-up reconcile of the image, layer and content stores.
//
// Every multi-step write in the stores is ordered so that a crash leaves at
// worst something too many, never something missing (image-store.ts,
// layer-store.ts). What a crash can leave:
//   - temp files and dirs (blobs/tmp, layers/tmp, images/tmp, refs.*.tmp);
//   - layer references acquired by an image add() whose record was never
//     written (a count too high);
//   - layers extracted by a pull that died before it registered the image
//     (no references at all), including layers whose parent never arrived
//     (a pull extracts its layers out of order);
//   - a count too low, only if a hand-edited or torn refs file says so.
// reconcileStores() recomputes every layer's count from the image records
// (each image holds one reference to each layer of its stack) plus the
// references other holders declare (`extraRefs`: containers reach layers
// only through their image today, so the engine passes nothing), rewrites
// counts that differ and removes layers nobody holds.
//
// Contract: call it once at start, after the stores are open and before
// anything pulls, loads, builds or removes images (it must not race an
// add()). Blobs are kept: a blob no image uses is what lets the next pull of
// an interrupted image skip its download.
import type { LayerStore } from '../storage/layers/index.js';
import type { ContentStore, Digest, ImageStore } from './index.js';

export interface ReconcileDeps {
  content: ContentStore;
  layers: LayerStore;
  /** `damaged`: records the store could not read (FsImageStore.damaged). */
  images: ImageStore & { readonly damaged?: readonly unknown[] };
}

export interface ReconcileOptions {
  /**
   * Layers held by something other than an image record, one entry per
   * reference (a chainID listed twice holds two).
   */
  extraRefs?: Iterable<Digest>;
}

export interface ReconcileReport {
  /** Layers whose stored count was wrong and was rewritten. */
  refsFixed: { chainID: Digest; was: number; now: number }[];
  /** Layers no image uses, removed. */
  layersRemoved: Digest[];
  /** Images with layers missing from the layer store (reported, not repaired). */
  brokenImages: { id: Digest; missing: Digest[] }[];
  /**
   * Why unreferenced layers were kept this time: image records that could
   * not be read may hold them.
   */
  removalSkipped?: string;
}

export async function reconcileStores(
  deps: ReconcileDeps,
  opts: ReconcileOptions = {},
): Promise<ReconcileReport> {
  const { content, layers, images } = deps;
  await content.cleanup();
  await layers.cleanup();

  const want = new Map<Digest, number>();
  const hold = (chainID: Digest): void => {
    want.set(chainID, (want.get(chainID) ?? 0) + 1);
  };
  const report: ReconcileReport = { refsFixed: [], layersRemoved: [], brokenImages: [] };
  for (const image of await images.list()) {
    const missing: Digest[] = [];
    for (const chainID of new Set(image.chainIDs)) {
      hold(chainID);
      if (!(await layers.has(chainID))) missing.push(chainID);
    }
    if (missing.length > 0) report.brokenImages.push({ id: image.id, missing });
  }
  for (const chainID of opts.extraRefs ?? []) hold(chainID);

  const damaged = images.damaged?.length ?? 0;
  if (damaged > 0) {
    report.removalSkipped = `${damaged} image record(s) could not be read and may use layers that look unused`;
  }
  for (const layer of await layers.list()) {
    const was = await layers.refs(layer.chainID);
    const now = want.get(layer.chainID) ?? 0;
    if (now === 0) {
      if (damaged > 0) continue;
      await layers.setRefs(layer.chainID, 0);
      report.layersRemoved.push(layer.chainID);
    } else if (was < now || (was > now && damaged === 0)) {
      // With unreadable records a count is only raised: they may hold the difference.
      await layers.setRefs(layer.chainID, now);
      report.refsFixed.push({ chainID: layer.chainID, was, now });
    }
  }
  return report;
}

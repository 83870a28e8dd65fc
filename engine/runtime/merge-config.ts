// Docker's create- and update-time defaults that belong to the lifecycle (the
// image-config merge itself is spec/build.ts mergeImageConfig).
import type { HostConfig } from './spec/docker-types.js';

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/** Image Env first, container Env overriding by key (Docker's order). */
export function mergeEnv(image: readonly string[] = [], container: readonly string[] = []): string[] {
  const out = new Map<string, string>();
  for (const e of [...image, ...container]) out.set(envKey(e), e);
  return [...out.values()];
}

/** HostConfig defaults Docker fills in at create: swap = 2 × memory when only Memory is set. */
export function normalizeHostConfig(hc: HostConfig = {}): HostConfig {
  const out: HostConfig = { ...hc };
  if ((out.Memory ?? 0) > 0 && (out.MemorySwap === undefined || out.MemorySwap === 0)) {
    out.MemorySwap = 2 * (out.Memory as number);
  }
  return out;
}

/** Docker's update merge: zero / absent fields keep the current value. */
export function mergeResources(current: HostConfig, update: HostConfig): HostConfig {
  const out: HostConfig = { ...current };
  for (const [k, v] of Object.entries(update) as Array<[keyof HostConfig, unknown]>) {
    if (v === undefined || v === null || v === 0 || v === '') continue;
    (out as Record<string, unknown>)[k] = v;
  }
  // Raising Memory above the old swap limit without a new MemorySwap: Docker
  // keeps swap at 2 × memory when it was derived that way.
  if (update.Memory && !update.MemorySwap && current.MemorySwap && current.MemorySwap !== -1) {
    if ((out.Memory ?? 0) > (out.MemorySwap ?? 0)) out.MemorySwap = 2 * (out.Memory as number);
  }
  return out;
}

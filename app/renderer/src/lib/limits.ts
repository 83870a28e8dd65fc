// Slider scales for resource limits: a list of stops that snap to values
// people choose (128 MB, 512 MB, 1 GB...), capped at what the host has.
// The number box next to each slider accepts any value.
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export interface Scale {
  stops: number[];
  /** Value meaning "no limit / engine default", shown at stop 0. */
  unset: number;
  unsetLabel: string;
}

const MEM_STEPS = [
  6, 16, 32, 64, 128, 192, 256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288, 16384, 24576,
  32768, 49152, 65536, 98304, 131072,
].map((m) => m * MiB);

export function memoryScale(hostBytes: number): Scale {
  const cap = hostBytes > 0 ? hostBytes : 64 * GiB;
  const stops = MEM_STEPS.filter((v) => v < cap);
  stops.push(cap);
  return { stops: [0, ...stops], unset: 0, unsetLabel: 'Unlimited' };
}

export function swapScale(hostBytes: number): Scale {
  const m = memoryScale(hostBytes * 2);
  return { stops: [0, ...m.stops.slice(1)], unset: 0, unsetLabel: 'Default (2× memory)' };
}

export const SHARE_STOPS = [0, 2, 64, 128, 256, 512, 768, 1024, 1536, 2048, 4096, 8192, 16384, 65536, 262144];
export const sharesScale: Scale = { stops: SHARE_STOPS, unset: 0, unsetLabel: 'Default (1024)' };

export function cpusScale(ncpu: number): Scale {
  const stops = [0];
  for (let v = 0.25; v < ncpu; v += v < 1 ? 0.25 : 0.5) stops.push(Math.round(v * 1e9));
  stops.push(ncpu * 1e9);
  return { stops, unset: 0, unsetLabel: 'Unlimited' };
}

export const pidsScale: Scale = {
  stops: [0, 16, 32, 64, 100, 128, 256, 512, 1024, 2048, 4096, 8192, 32768],
  unset: 0,
  unsetLabel: 'Unlimited',
};

/** Index of the stop nearest to value. */
export function nearestStop(scale: Scale, value: number): number {
  if (value === scale.unset || value <= 0) return 0;
  let best = 1;
  for (let i = 1; i < scale.stops.length; i++) {
    if (Math.abs(scale.stops[i]! - value) < Math.abs(scale.stops[best]! - value)) best = i;
  }
  return best;
}

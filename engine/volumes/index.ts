// Named volumes (Docker's `docker volume`): a store of directories under
// <data-root>/volumes/<name>/_data that containers bind-mount, with metadata
// kept next to each. One interface; the "local" driver (local.ts) is the one
// implementation. Which containers use a volume is not stored: it is read from
// the containers' HostConfigs (volumeMounts), so it can never go stale.
import type { HostConfig } from '../runtime/spec/docker-types.js';

export { LocalVolumeStore } from './local.js';
export { copyUp } from './copy-up.js';

/** The API's Volume object (moby api/swagger.yaml, definitions.Volume). */
export interface Volume {
  Name: string;
  Driver: 'local';
  Mountpoint: string;
  CreatedAt: string;
  Labels: Record<string, string>;
  Options: Record<string, string>;
  Scope: 'local';
}

export interface CreateVolumeOptions {
  /** Empty or missing: an anonymous volume with a random 64-hex name. */
  name?: string;
  driver?: string;
  labels?: Record<string, string>;
  options?: Record<string, string>;
  /** Marks the volume anonymous (Docker's com.docker.volume.anonymous label). */
  anonymous?: boolean;
}

export interface VolumeStore {
  /** Creates the volume, or returns the existing one of that name (created: false), as Docker does. */
  create(opts: CreateVolumeOptions): Promise<{ volume: Volume; created: boolean }>;
  get(name: string): Volume | undefined;
  list(): Volume[];
  /** Removes the volume and its data; throws NOT_FOUND when there is none. */
  remove(name: string): Promise<void>;
  /** Host directory containers mount. */
  mountpoint(name: string): string;
  /** Bytes used by the volume's data (du-like, hard links counted once). */
  size(name: string): Promise<number>;
}

/** Docker's label for anonymous volumes (moby volume/service: AnonymousLabel). */
export const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

export const isAnonymous = (v: Volume): boolean => ANONYMOUS_LABEL in v.Labels;

/** Docker's local-driver name rule and messages (volume/local/local.go validateName). */
export const VOLUME_NAME_CHARS = '[a-zA-Z0-9][a-zA-Z0-9_.-]';
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function volumeNameError(name: string): string | undefined {
  if (name.length === 1)
    return 'volume name is too short, names should be at least two alphanumeric characters';
  if (!NAME_RE.test(name))
    return `"${name}" includes invalid characters for a local volume name, only "${VOLUME_NAME_CHARS}" are allowed. If you intended to pass a host directory, use absolute path`;
  return undefined;
}

export interface VolumeMount {
  name: string;
  destination: string;
  readOnly: boolean;
  /** The "nocopy" option: do not populate the volume from the image. */
  noCopy: boolean;
}

/** The named volumes a HostConfig mounts (Binds with a name as source, Mounts of type volume). */
export function volumeMounts(hc: HostConfig): VolumeMount[] {
  const out: VolumeMount[] = [];
  for (const b of hc.Binds ?? []) {
    const [src, dst, mode = ''] = b.split(':');
    if (!src || !dst || src.startsWith('/')) continue;
    const opts = mode.split(',');
    out.push({ name: src, destination: dst, readOnly: opts.includes('ro'), noCopy: opts.includes('nocopy') });
  }
  for (const m of hc.Mounts ?? []) {
    if (m.Type !== 'volume' || !m.Source || !m.Target) continue;
    out.push({
      name: m.Source,
      destination: m.Target,
      readOnly: !!m.ReadOnly,
      noCopy: !!(m as { VolumeOptions?: { NoCopy?: boolean } }).VolumeOptions?.NoCopy,
    });
  }
  return out;
}

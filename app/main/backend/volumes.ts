// The volume channels of the bridge, through dockerode's volume API: list
// (with the containers using each, from the container list's Mounts, and
// sizes from system/df?type=volume where the engine answers it), create and
// remove (with an in-use conflict put in words naming the containers).
import type Dockerode from 'dockerode';
import type { VolumeCreateInput, VolumeSummary, VolumeUser } from '../../shared/types.js';
import type { Handlers } from './handlers.js';

type VolumeHandlers = Pick<Handlers, 'volumes/list' | 'volumes/create' | 'volumes/remove'>;

const ANONYMOUS_LABEL = 'com.docker.volume.anonymous';

interface DfVolume {
  Name: string;
  UsageData?: { Size?: number } | null;
}

interface Modem {
  dial(
    opts: {
      path: string;
      method: string;
      options: Record<string, string>;
      statusCodes: Record<number, boolean>;
    },
    cb: (err: unknown, data: unknown) => void,
  ): void;
}

/** Volume sizes by name from system/df (type=volume keeps it cheap on engines that support it). */
function volumeSizes(d: Dockerode): Promise<Map<string, number>> {
  return new Promise((resolve) => {
    const modem = d.modem as Modem;
    modem.dial(
      { path: '/system/df?', method: 'GET', options: { type: 'volume' }, statusCodes: { 200: true } },
      (err, data) => {
        const sizes = new Map<string, number>();
        if (!err) {
          for (const v of ((data as { Volumes?: DfVolume[] | null })?.Volumes ?? []) as DfVolume[]) {
            const size = v.UsageData?.Size;
            if (typeof size === 'number' && size >= 0) sizes.set(v.Name, size);
          }
        }
        resolve(sizes);
      },
    );
  });
}

/** Which containers mount each volume, from the container list's Mounts. */
async function volumeUsers(d: Dockerode): Promise<Map<string, VolumeUser[]>> {
  const users = new Map<string, VolumeUser[]>();
  for (const c of await d.listContainers({ all: true })) {
    for (const m of c.Mounts ?? []) {
      if (m.Type !== 'volume' || !m.Name) continue;
      const list = users.get(m.Name) ?? [];
      list.push({
        id: c.Id,
        name: (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, ''),
        destination: m.Destination,
      });
      users.set(m.Name, list);
    }
  }
  return users;
}

function toSummary(
  v: Dockerode.VolumeInspectInfo & { CreatedAt?: string },
  users: Map<string, VolumeUser[]>,
  sizes: Map<string, number>,
): VolumeSummary {
  const labels = v.Labels ?? {};
  const created = v.CreatedAt ? Math.floor(Date.parse(v.CreatedAt) / 1000) : 0;
  return {
    name: v.Name,
    driver: v.Driver,
    mountpoint: v.Mountpoint,
    created: Number.isFinite(created) ? created : 0,
    labels,
    anonymous: ANONYMOUS_LABEL in labels,
    size: sizes.get(v.Name),
    usedBy: users.get(v.Name) ?? [],
  };
}

function parseLabels(entries: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const raw of entries.map((e) => e.trim()).filter(Boolean)) {
    const i = raw.indexOf('=');
    const key = i < 0 ? raw : raw.slice(0, i);
    if (!key) throw new Error(`Label "${raw}" should look like key=value.`);
    labels[key] = i < 0 ? '' : raw.slice(i + 1);
  }
  return labels;
}

export function volumeHandlers(d: () => Dockerode): VolumeHandlers {
  return {
    'volumes/list': async () => {
      const [list, users, sizes] = await Promise.all([d().listVolumes(), volumeUsers(d()), volumeSizes(d())]);
      return (list.Volumes ?? [])
        .map((v) => toSummary(v, users, sizes))
        .sort((a, b) => Number(a.anonymous) - Number(b.anonymous) || a.name.localeCompare(b.name));
    },
    'volumes/create': async (input: VolumeCreateInput) => {
      const name = input.name.trim();
      if (name && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(name)) {
        throw new Error(
          'Volume names are at least two characters: letters, digits, "_", "." and "-", starting with a letter or digit.',
        );
      }
      const vol = await d().createVolume({ Name: name, Labels: parseLabels(input.labels) });
      const info = (await vol.inspect()) as Dockerode.VolumeInspectInfo & { CreatedAt?: string };
      return toSummary(info, await volumeUsers(d()), new Map());
    },
    'volumes/remove': async (name, force) => {
      try {
        await d().getVolume(name).remove({ force });
      } catch (err) {
        if ((err as { statusCode?: number }).statusCode !== 409) throw err;
        const users = (await volumeUsers(d()).catch(() => new Map<string, VolumeUser[]>())).get(name) ?? [];
        if (users.length === 0) throw err;
        throw new Error(
          `Volume "${name}" is in use by ${users.map((u) => u.name).join(', ')}. Remove ${
            users.length === 1 ? 'that container' : 'those containers'
          } first.`,
          { cause: err },
        );
      }
    },
  };
}

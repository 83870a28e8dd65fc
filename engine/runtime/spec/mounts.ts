// User mounts: Binds ("src:dst[:opts]"), Mounts (--mount), Tmpfs (--tmpfs)
// and Devices (--device), translated to OCI mounts/devices with Docker's
// default options. Named volumes are resolved by the caller's resolver.
import { stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { wharfError } from '../../errors.js';
import type { DeviceMapping, HostConfig } from './docker-types.js';
import type { OciDevice, OciDeviceCgroup, OciMount } from './oci-types.js';

/** Maps a named volume to its host directory (<data-root>/volumes/<name>/_data). */
export type VolumeResolver = (name: string) => string | Promise<string>;

const PROPAGATIONS = ['shared', 'rshared', 'slave', 'rslave', 'private', 'rprivate'];

function invalid(msg: string): never {
  throw wharfError('INVALID_CONFIG', msg);
}

function checkDestination(dst: string, what: string): string {
  if (!dst.startsWith('/'))
    invalid(`invalid mount config for type "${what}": mount path must be absolute: ${dst}`);
  const clean = posix.normalize(dst);
  if (clean === '/') invalid(`invalid specification: destination can't be '/'`);
  return clean.replace(/\/+$/, '');
}

async function volumeSource(src: string, resolve: VolumeResolver | undefined): Promise<string> {
  if (src.startsWith('/')) return src;
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/.test(src)) invalid(`invalid volume name "${src}"`);
  if (!resolve) invalid(`named volume "${src}" needs a volume store`);
  return resolve(src);
}

function bindMount(source: string, destination: string, readonly: boolean, propagation: string): OciMount {
  return { destination, type: 'bind', source, options: ['rbind', readonly ? 'ro' : 'rw', propagation] };
}

/** One Binds entry: "src:dst", "src:dst:ro", "name:dst:rw,z", "src:dst:ro,rslave". */
export async function parseBind(bind: string, resolve?: VolumeResolver): Promise<OciMount> {
  const parts = bind.split(':');
  if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1])
    invalid(`invalid volume specification: '${bind}'`);
  const [src, dstRaw, mode = ''] = parts as [string, string, string?];
  let readonly = false;
  let propagation = 'rprivate';
  for (const opt of mode.split(',').filter(Boolean)) {
    if (opt === 'ro') readonly = true;
    else if (opt === 'rw') readonly = false;
    else if (PROPAGATIONS.includes(opt)) propagation = opt;
    else if (
      opt === 'z' ||
      opt === 'Z' ||
      opt === 'nocopy' ||
      opt === 'consistent' ||
      opt === 'cached' ||
      opt === 'delegated'
    )
      continue;
    else invalid(`invalid mode: ${mode}`);
  }
  return bindMount(await volumeSource(src, resolve), checkDestination(dstRaw, 'bind'), readonly, propagation);
}

/** --tmpfs options merged onto Docker's defaults (noexec,nosuid,nodev). */
export function tmpfsMount(destination: string, options: string): OciMount {
  const opts = new Set(['noexec', 'nosuid', 'nodev']);
  const extra: string[] = [];
  for (const o of options.split(',').filter(Boolean)) {
    if (o === 'exec') opts.delete('noexec');
    else if (o === 'suid') opts.delete('nosuid');
    else if (o === 'dev') opts.delete('nodev');
    else if (o === 'noexec' || o === 'nosuid' || o === 'nodev') opts.add(o);
    else extra.push(o);
  }
  return {
    destination: checkDestination(destination, 'tmpfs'),
    type: 'tmpfs',
    source: 'tmpfs',
    options: [...opts, ...extra],
  };
}

/** All user mounts of a HostConfig, in the order given. */
export async function userMounts(hc: HostConfig, resolve?: VolumeResolver): Promise<OciMount[]> {
  const out: OciMount[] = [];
  for (const b of hc.Binds ?? []) out.push(await parseBind(b, resolve));
  for (const m of hc.Mounts ?? []) {
    const dst = checkDestination(m.Target ?? '', m.Type);
    switch (m.Type) {
      case 'bind': {
        if (!m.Source?.startsWith('/'))
          invalid(`invalid mount config for type "bind": invalid mount path: '${m.Source ?? ''}'`);
        try {
          await stat(m.Source);
        } catch (err) {
          throw wharfError(
            'INVALID_CONFIG',
            `invalid mount config for type "bind": bind source path does not exist: ${m.Source}`,
            err,
          );
        }
        const mount = bindMount(m.Source, dst, !!m.ReadOnly, m.BindOptions?.Propagation || 'rprivate');
        if (m.BindOptions?.NonRecursive)
          mount.options = mount.options?.map((o) => (o === 'rbind' ? 'bind' : o));
        out.push(mount);
        break;
      }
      case 'volume': {
        const src = m.Source
          ? await volumeSource(m.Source, resolve)
          : invalid('anonymous volumes need a volume store; pass Source');
        out.push(bindMount(src, dst, !!m.ReadOnly, 'rprivate'));
        break;
      }
      case 'tmpfs': {
        const opts: string[] = [];
        if (m.TmpfsOptions?.SizeBytes) opts.push(`size=${m.TmpfsOptions.SizeBytes}`);
        if (m.TmpfsOptions?.Mode) opts.push(`mode=${m.TmpfsOptions.Mode.toString(8)}`);
        if (m.ReadOnly) opts.push('ro');
        out.push(tmpfsMount(dst, opts.join(',')));
        break;
      }
      default:
        invalid(`mount type "${m.Type}" is not supported`);
    }
  }
  for (const [dst, opts] of Object.entries(hc.Tmpfs ?? {})) out.push(tmpfsMount(dst, opts));
  const seen = new Set<string>();
  for (const m of out) {
    if (seen.has(m.destination)) invalid(`Duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
  return out;
}

/**
 * Docker's mount order: defaults first, user mounts replace a default at the
 * same destination (and its sub-mounts, e.g. a user /dev drops /dev/pts),
 * then everything sorted by path depth so parents mount before children.
 */
export function mergeMounts(defaults: OciMount[], user: OciMount[]): OciMount[] {
  const userDst = user.map((m) => m.destination);
  const kept = defaults.filter(
    (d) => !userDst.some((u) => d.destination === u || (d.destination.startsWith(`${u}/`) && u !== '/')),
  );
  const all = [...kept, ...user];
  const depth = (p: string): number => p.split('/').filter(Boolean).length;
  return all
    .map((m, i) => ({ m, i }))
    .sort((a, b) => depth(a.m.destination) - depth(b.m.destination) || a.i - b.i)
    .map((x) => x.m);
}

/** --device host[:container[:perms]] -> a device node and its cgroup rule. */
export async function deviceMapping(d: DeviceMapping): Promise<{ device: OciDevice; rule: OciDeviceCgroup }> {
  let st;
  try {
    st = await stat(d.PathOnHost, { bigint: true });
  } catch (err) {
    throw wharfError(
      'INVALID_CONFIG',
      `error gathering device information while adding custom device "${d.PathOnHost}"`,
      err,
    );
  }
  const type = st.isCharacterDevice()
    ? 'c'
    : st.isBlockDevice()
      ? 'b'
      : invalid(`"${d.PathOnHost}" is not a device`);
  const rdev = st.rdev;
  const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
  const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
  const perms = d.CgroupPermissions || 'rwm';
  if (!/^[rwm]{1,3}$/.test(perms)) invalid(`invalid device cgroup permissions: ${perms}`);
  return {
    device: {
      type,
      path: d.PathInContainer || d.PathOnHost,
      major,
      minor,
      fileMode: Number(st.mode & 0o777n),
      uid: Number(st.uid),
      gid: Number(st.gid),
    },
    rule: { allow: true, type, major, minor, access: perms },
  };
}

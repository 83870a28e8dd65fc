// buildOciSpec: a Docker container (as created through the API) -> OCI config.json.
import { readdir, stat } from 'node:fs/promises';
import { posix } from 'node:path';
import { wharfError } from '../../errors.js';
import { resolveCapabilities } from './capabilities.js';
import {
  DEFAULT_DEVICES,
  DEFAULT_MASKED_PATHS,
  DEFAULT_PATH_ENV,
  DEFAULT_READONLY_PATHS,
  DEFAULT_SHM_SIZE,
  defaultMounts,
  thermalThrottlePaths,
} from './defaults.js';
import type { ContainerConfig, HostConfig, ImageRuntimeConfig } from './docker-types.js';
import { deviceMapping, mergeMounts, userMounts, type VolumeResolver } from './mounts.js';
import type {
  OciDevice,
  OciDeviceCgroup,
  OciMount,
  OciNamespace,
  OciNamespaceType,
  OciRlimit,
  OciSpec,
} from './oci-types.js';
import { buildResources } from './resources.js';
import { compileSeccomp, defaultSeccompRules } from './seccomp.js';
import { parseSecurityOpt } from './security-opt.js';
import { resolveUser } from './user.js';

export interface BuildOciSpecOptions {
  id: string;
  config: ContainerConfig;
  hostConfig?: HostConfig;
  /** The image's defaults (image config "config"); merged as Docker does at create. */
  imageConfig?: ImageRuntimeConfig;
  /** Host path of the container's root (the overlay's merged dir, mounted). */
  rootfs: string;
  /** Defaults to config.Hostname, then the first 12 characters of id. */
  hostname?: string;
  /** linux.cgroupsPath, e.g. '/wharf/<id>'. */
  cgroupsPath: string;
  /** Extra mounts (e.g. /etc/hosts binds, secrets), added after the user's. */
  mounts?: OciMount[];
  /** Joins an existing namespace instead of creating one (e.g. network: '/proc/<pid>/ns/net' or a netns path). */
  namespacePaths?: Partial<Record<OciNamespaceType, string>>;
  /** Host path of an init binary (tini/docker-init) used when HostConfig.Init is true. */
  initBinary?: string;
  resolveVolume?: VolumeResolver;
  /** Architecture for seccomp; default process.arch. */
  arch?: string;
}

/** Docker's ReplaceOrAppendEnvValues: later KEY=VALUE replace earlier ones in place. */
function replaceOrAppendEnv(base: string[], overrides: readonly string[]): string[] {
  const out = [...base];
  for (const kv of overrides) {
    const key = kv.split('=', 1)[0] ?? kv;
    const i = out.findIndex((e) => (e.split('=', 1)[0] ?? e) === key);
    if (i >= 0) out[i] = kv;
    else out.push(kv);
  }
  return out;
}

/** Docker's create-time merge of the user's config with the image defaults (daemon/commit.go merge). */
export function mergeImageConfig(user: ContainerConfig, image: ImageRuntimeConfig = {}): ContainerConfig {
  const out: ContainerConfig = { ...user };
  if (!out.User) out.User = image.User ?? '';
  if (!out.Env || out.Env.length === 0) {
    out.Env = [...(image.Env ?? [])];
  } else {
    const keys = new Set(out.Env.map((e) => e.split('=', 1)[0]));
    out.Env = [...out.Env, ...(image.Env ?? []).filter((e) => !keys.has(e.split('=', 1)[0]))];
  }
  // `--entrypoint ""` arrives as [""]: an explicit empty entrypoint.
  let entrypoint = out.Entrypoint;
  if (entrypoint && entrypoint.length === 1 && entrypoint[0] === '') entrypoint = [];
  if (!entrypoint || entrypoint.length === 0) {
    if (!out.Cmd || out.Cmd.length === 0) out.Cmd = image.Cmd ?? null;
    if (entrypoint === undefined || entrypoint === null) entrypoint = image.Entrypoint ?? null;
  }
  out.Entrypoint = entrypoint ?? null;
  if (!out.WorkingDir) out.WorkingDir = image.WorkingDir ?? '';
  if (!out.StopSignal && image.StopSignal) out.StopSignal = image.StopSignal;
  out.Labels = { ...(image.Labels ?? {}), ...(out.Labels ?? {}) };
  return out;
}

const RLIMITS = [
  'as', 'core', 'cpu', 'data', 'fsize', 'locks', 'memlock', 'msgqueue', 'nice', 'nofile', 'nproc', 'rss', 'rtprio', 'rttime', 'sigpending', 'stack',
]; // prettier-ignore

function rlimits(hc: HostConfig): OciRlimit[] | undefined {
  if (!hc.Ulimits || hc.Ulimits.length === 0) return undefined;
  return hc.Ulimits.map((u) => {
    const name = u.Name.toLowerCase();
    if (!RLIMITS.includes(name)) throw wharfError('INVALID_CONFIG', `invalid ulimit type: ${u.Name}`);
    if (u.Soft > u.Hard) {
      throw wharfError(
        'INVALID_CONFIG',
        `ulimit soft limit must be less than or equal to hard limit: ${u.Soft} > ${u.Hard}`,
      );
    }
    return { type: `RLIMIT_${name.toUpperCase()}`, soft: u.Soft, hard: u.Hard };
  });
}

/** Sysctls Docker allows per container (namespaced ones); net.* not with the host network. */
function sysctls(hc: HostConfig, hostNetwork: boolean): Record<string, string> | undefined {
  const entries = Object.entries(hc.Sysctls ?? {});
  if (entries.length === 0) return undefined;
  const ipc = [
    'kernel.msgmax',
    'kernel.msgmnb',
    'kernel.msgmni',
    'kernel.sem',
    'kernel.shmall',
    'kernel.shmmax',
    'kernel.shmmni',
    'kernel.shm_rmid_forced',
  ];
  for (const [k] of entries) {
    const ok = ipc.includes(k) || k.startsWith('fs.mqueue.') || (k.startsWith('net.') && !hostNetwork);
    if (!ok) throw wharfError('INVALID_CONFIG', `sysctl '${k}' is not allowed`);
  }
  return Object.fromEntries(entries);
}

function namespaces(hc: HostConfig, paths: Partial<Record<OciNamespaceType, string>>): OciNamespace[] {
  const host = {
    pid: hc.PidMode === 'host',
    ipc: hc.IpcMode === 'host',
    uts: hc.UTSMode === 'host',
    network: hc.NetworkMode === 'host',
    cgroup: hc.CgroupnsMode === 'host',
    mount: false,
  };
  const out: OciNamespace[] = [];
  for (const type of ['pid', 'ipc', 'uts', 'mount', 'network', 'cgroup'] as const) {
    if (host[type]) continue;
    const path = paths[type];
    out.push(path ? { type, path } : { type });
  }
  return out;
}

/** Every char/block device on the host, for --privileged (skips pts, shm, mqueue). */
async function hostDevices(dir = '/dev'): Promise<OciDevice[]> {
  const out: OciDevice[] = [];
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = posix.join(dir, e.name);
    if (e.isDirectory()) {
      if (!['pts', 'shm', 'mqueue', 'fd', '.lxc', '.udev'].includes(e.name))
        out.push(...(await hostDevices(p)));
      continue;
    }
    if (!e.isCharacterDevice() && !e.isBlockDevice()) continue;
    if (p === '/dev/console' || p === '/dev/ptmx' || p === '/dev/tty') continue;
    try {
      const st = await stat(p, { bigint: true });
      const rdev = st.rdev;
      out.push({
        type: e.isCharacterDevice() ? 'c' : 'b',
        path: p,
        major: Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn)),
        minor: Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn)),
        fileMode: Number(st.mode & 0o777n),
        uid: Number(st.uid),
        gid: Number(st.gid),
      });
    } catch {
      // device vanished
    }
  }
  return out;
}

/** Builds the OCI runtime config for one container. See index.ts for the contract. */
export async function buildOciSpec(opts: BuildOciSpecOptions): Promise<OciSpec> {
  const hc: HostConfig = opts.hostConfig ?? {};
  const cfg = mergeImageConfig(opts.config, opts.imageConfig);
  const sec = parseSecurityOpt(hc.SecurityOpt);
  const privileged = !!hc.Privileged;

  // process.args: Entrypoint + Cmd, optionally behind the init binary.
  let args = [...(cfg.Entrypoint ?? []), ...(cfg.Cmd ?? [])];
  if (args.length === 0) throw wharfError('INVALID_CONFIG', 'No command specified');
  const extraMounts: OciMount[] = [];
  if (hc.Init) {
    if (!opts.initBinary)
      throw wharfError(
        'INVALID_CONFIG',
        'an init process was requested (--init) but no init binary is configured',
      );
    extraMounts.push({
      destination: '/sbin/docker-init',
      type: 'bind',
      source: opts.initBinary,
      options: ['bind', 'ro'],
    });
    args = ['/sbin/docker-init', '--', ...args];
  }

  const hostname = opts.hostname ?? (cfg.Hostname || opts.id.slice(0, 12));
  const user = await resolveUser(opts.rootfs, cfg.User, hc.GroupAdd ?? []);

  // Environment: PATH, HOSTNAME, TERM first, then the container's (which override).
  const base = [DEFAULT_PATH_ENV, `HOSTNAME=${hostname}`];
  if (cfg.Tty) base.push('TERM=xterm');
  let env = replaceOrAppendEnv(base, cfg.Env ?? []);
  if (!env.some((e) => e.startsWith('HOME='))) env = [...env, `HOME=${user.home}`];

  const caps = resolveCapabilities(hc.CapAdd, hc.CapDrop, privileged);

  // Devices: the defaults, or every host device when privileged; plus --device.
  let deviceRules: OciDeviceCgroup[] = privileged ? [{ allow: true, access: 'rwm' }] : [...DEFAULT_DEVICES];
  const devices: OciDevice[] = privileged ? await hostDevices() : [];
  for (const d of hc.Devices ?? []) {
    const { device, rule } = await deviceMapping(d);
    devices.push(device);
    if (!privileged) deviceRules = [...deviceRules, rule];
  }

  const shmSize = hc.ShmSize && hc.ShmSize > 0 ? hc.ShmSize : DEFAULT_SHM_SIZE;
  const mounts = mergeMounts(defaultMounts(shmSize, privileged), [
    ...(await userMounts(hc, opts.resolveVolume)),
    ...extraMounts,
    ...(opts.mounts ?? []),
  ]);

  const spec: OciSpec = {
    ociVersion: '1.1.0',
    process: {
      terminal: !!cfg.Tty,
      user: {
        uid: user.uid,
        gid: user.gid,
        ...(user.additionalGids.length ? { additionalGids: user.additionalGids } : {}),
      },
      args,
      env,
      cwd: cfg.WorkingDir ? posix.normalize(cfg.WorkingDir) : '/',
      capabilities: {
        bounding: caps,
        effective: [...caps],
        permitted: [...caps],
        inheritable: [],
        ambient: [],
      },
    },
    root: { path: opts.rootfs, readonly: !!hc.ReadonlyRootfs },
    hostname,
    mounts,
    linux: {
      namespaces: namespaces(hc, opts.namespacePaths ?? {}),
      cgroupsPath: opts.cgroupsPath,
      resources: await buildResources(hc, deviceRules),
    },
  };
  if (!spec.process.cwd.startsWith('/'))
    throw wharfError(
      'INVALID_CONFIG',
      `the working directory '${cfg.WorkingDir}' is invalid; it needs to be an absolute path`,
    );
  if (hc.UTSMode === 'host') delete spec.hostname;
  else if (cfg.Domainname) spec.domainname = cfg.Domainname;

  if (cfg.Tty && hc.ConsoleSize && hc.ConsoleSize[0] > 0 && hc.ConsoleSize[1] > 0) {
    spec.process.consoleSize = { height: hc.ConsoleSize[0], width: hc.ConsoleSize[1] };
  }
  const rl = rlimits(hc);
  if (rl) spec.process.rlimits = rl;
  if (sec.noNewPrivileges) spec.process.noNewPrivileges = true;
  if (hc.OomScoreAdj) {
    if (hc.OomScoreAdj < -1000 || hc.OomScoreAdj > 1000)
      throw wharfError('INVALID_CONFIG', 'Invalid value for OomScoreAdj; valid range is -1000 to 1000');
    spec.process.oomScoreAdj = hc.OomScoreAdj;
  }
  if (devices.length > 0) spec.linux.devices = devices;
  const sc = sysctls(hc, hc.NetworkMode === 'host');
  if (sc) spec.linux.sysctl = sc;

  if (!privileged && !sec.systemPathsUnconfined) {
    spec.linux.maskedPaths = hc.MaskedPaths ?? [...DEFAULT_MASKED_PATHS, ...thermalThrottlePaths()];
    spec.linux.readonlyPaths = hc.ReadonlyPaths ?? [...DEFAULT_READONLY_PATHS];
  }
  if (!privileged && sec.seccomp !== 'unconfined') {
    const profile = sec.seccomp === 'default' ? defaultSeccompRules(opts.arch) : sec.seccomp;
    spec.linux.seccomp = compileSeccomp(profile, caps, opts.arch);
  }
  // Shared/slave bind propagation needs the root mount to be shared/slave too (Docker's rule).
  const props = mounts.flatMap((m) => m.options ?? []);
  if (props.some((o) => o === 'shared' || o === 'rshared')) spec.linux.rootfsPropagation = 'rshared';
  else if (props.some((o) => o === 'slave' || o === 'rslave')) spec.linux.rootfsPropagation = 'rslave';
  return spec;
}

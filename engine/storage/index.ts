// Container filesystems: the overlay rootfs of one container (DESIGN.md,
// "Data flow"). Image layers come from the layer store (./layers/); this
// module stacks them under a per-container init layer and a writable upper dir.
//
// Lifecycle of one container rootfs:
//
//   prepare()   creates containers/<id>/{upper,work,merged,init} (0700/0710),
//               writes the init layer (/etc/hostname, /etc/hosts,
//               /etc/resolv.conf) and records the layer stack in rootfs.json.
//               Nothing is mounted yet. Idempotent for the same id and dir.
//   open()      reloads that record after an engine restart.
//   mount()     overlay on merged/: lowerdir=init:layerN:…:layer1, upperdir,
//               workdir. Mounting a mounted rootfs is a no-op.
//   unmount()   detaches merged/; unmounting an unmounted rootfs is a no-op.
//   remove()    unmounts if needed and deletes the directories it created.
//               Idempotent and safe after a crash at any point (a half-made
//               dir, a stale mount): afterwards nothing under dir is mounted.
//   changes()   `docker diff`: the upper dir compared with the lower layers.
//   size()      bytes in the upper dir (Docker's SizeRw).
//
// Errors are WharfError('ROOTFS_FAILED') with the system error as `cause`.

/** Docker's change kinds (GET /containers/{id}/changes). */
export const ChangeKind = { Modified: 0, Added: 1, Deleted: 2 } as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

/** One entry of `docker diff`, with Docker's JSON names. */
export interface Change {
  Path: string;
  Kind: ChangeKind;
}

/** What the init layer's /etc files hold. */
export interface InitLayerOptions {
  /** Container hostname (Docker: the first 12 hex digits of the id unless set). */
  hostname: string;
  domainname?: string;
  /** The host's resolv.conf to derive from; default /etc/resolv.conf. */
  hostResolvConf?: string;
  /** --dns: replaces the host's nameservers. */
  dns?: string[];
  /** --dns-search: replaces the host's search domains. */
  dnsSearch?: string[];
  /** --dns-option: replaces the host's options. */
  dnsOptions?: string[];
  /** --add-host entries as "name:ip" (Docker's ExtraHosts). */
  extraHosts?: string[];
  /** The container's own address; added as "<ip>\t<hostname>" when known. */
  ip?: string;
}

export interface PrepareOptions {
  /** Container id (names the record; not used in paths). */
  id: string;
  /** The container's directory, containers/<id>/ under the data root. Created if missing. */
  dir: string;
  /** Image layer diff dirs in image order: base layer FIRST (as rootfs.diff_ids / chainIDs). */
  layers: string[];
  init: InitLayerOptions;
  /**
   * Rootless later: overlay inside a user namespace keeps its xattrs under
   * user.overlay.* ("userxattr" mount option). Default false.
   */
  userXattr?: boolean;
}

/** A prepared container rootfs: plain data, persisted as <dir>/rootfs.json. */
export interface ContainerRootfs {
  id: string;
  dir: string;
  upperDir: string;
  workDir: string;
  /** The mount point; pass it as the OCI spec's root.path. */
  mergedDir: string;
  initDir: string;
  /** Read-only layers top-first as overlay wants them: init, then layerN … layer1. */
  lowerDirs: string[];
  userXattr: boolean;
}

/** Creates container rootfs directories and their init layer. */
export interface RootfsPreparer {
  prepare(opts: PrepareOptions): Promise<ContainerRootfs>;
  /** Reloads <dir>/rootfs.json. Rejects with STORE_CORRUPT when missing or unreadable. */
  open(dir: string): Promise<ContainerRootfs>;
  /** Rewrites the init layer's files (e.g. once the network knows the IP). */
  writeInitFiles(rootfs: ContainerRootfs, init: InitLayerOptions): Promise<void>;
}

/** Mounts and unmounts the overlay on mergedDir. */
export interface RootfsMounter {
  /** Returns mergedDir. No-op when already mounted. */
  mount(rootfs: ContainerRootfs): Promise<string>;
  /** No-op when not mounted. Uses a lazy detach when the mount is busy. */
  unmount(rootfs: ContainerRootfs): Promise<void>;
  isMounted(rootfs: ContainerRootfs): Promise<boolean>;
}

/** Removes everything prepare() created. Takes the dir so it works without a readable record. */
export interface RootfsRemover {
  remove(dir: string): Promise<void>;
}

/** `docker diff` and `docker ps --size`. */
export interface RootfsInspector {
  changes(rootfs: ContainerRootfs): Promise<Change[]>;
  /** Bytes in the upper dir (hard links counted once). */
  size(rootfs: ContainerRootfs): Promise<number>;
}

export interface ContainerStorage extends RootfsPreparer, RootfsMounter, RootfsRemover, RootfsInspector {}

export { OverlayStorage, createOverlayStorage } from './overlay.js';
export { renderHosts, renderResolvConf } from './init-layer.js';

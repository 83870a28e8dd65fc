// Typed loader for wharf_native.node (native/src/addon). The addon exposes the
// syscalls Node lacks; every call returns a Promise and runs off the JS thread.
// Failures reject with a NativeError: `code` is the errno name ('EBUSY'),
// `errno` the number, `syscall` the call, and the message says what failed
// ("unmount `/x`: Device or resource busy").
//
// The addon is loaded on first use, so importing this module never fails;
// loadNative() throws BINARY_NOT_FOUND when the addon has not been built.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NATIVE_DIR } from './native-dir.js';

export type MountFlag =
  | 'MS_RDONLY'
  | 'MS_NOSUID'
  | 'MS_NODEV'
  | 'MS_NOEXEC'
  | 'MS_SYNCHRONOUS'
  | 'MS_REMOUNT'
  | 'MS_MANDLOCK'
  | 'MS_DIRSYNC'
  | 'MS_NOSYMFOLLOW'
  | 'MS_NOATIME'
  | 'MS_NODIRATIME'
  | 'MS_BIND'
  | 'MS_MOVE'
  | 'MS_REC'
  | 'MS_SILENT'
  | 'MS_UNBINDABLE'
  | 'MS_PRIVATE'
  | 'MS_SLAVE'
  | 'MS_SHARED'
  | 'MS_RELATIME'
  | 'MS_STRICTATIME'
  | 'MS_LAZYTIME';

export type UmountFlag = 'MNT_FORCE' | 'MNT_DETACH' | 'MNT_EXPIRE' | 'UMOUNT_NOFOLLOW';

export type MountAttr =
  | 'MOUNT_ATTR_RDONLY'
  | 'MOUNT_ATTR_NOSUID'
  | 'MOUNT_ATTR_NODEV'
  | 'MOUNT_ATTR_NOEXEC'
  | 'MOUNT_ATTR_NOATIME'
  | 'MOUNT_ATTR_STRICTATIME'
  | 'MOUNT_ATTR_NODIRATIME'
  | 'MOUNT_ATTR_NOSYMFOLLOW';

export type XattrFlag = 'XATTR_CREATE' | 'XATTR_REPLACE';

/** One fsconfig(2) call: [key, value] sets a string, [key, null] sets a flag. */
export type FsParam = readonly [key: string, value: string | null];

export interface WharfNative {
  /** mount(2). source/fstype/data may be null (bind, move, remount, propagation changes). */
  mount(
    source: string | null,
    target: string,
    fstype: string | null,
    flags: readonly MountFlag[],
    data: string | null,
  ): Promise<void>;
  umount2(target: string, flags: readonly UmountFlag[]): Promise<void>;
  /**
   * The new mount API: fsopen(fstype), one fsconfig per param, create, fsmount
   * with attrs, move_mount onto target. No page-size limit on the options as a
   * whole (each value up to 256 bytes); kernel messages are in the error text.
   */
  fsmount(
    fstype: string,
    target: string,
    params: readonly FsParam[],
    attrs: readonly MountAttr[],
  ): Promise<void>;
  /** mknod(2); mode includes the type bits (fs.constants.S_IFCHR). */
  mknod(path: string, mode: number, major: number, minor: number): Promise<void>;
  lsetxattr(path: string, name: string, value: Buffer | string, flags: readonly XattrFlag[]): Promise<void>;
  /** null when the attribute does not exist (ENODATA). */
  lgetxattr(path: string, name: string): Promise<Buffer | null>;
  llistxattr(path: string): Promise<string[]>;
}

/** The shape of a rejected native call. */
export interface NativeError extends Error {
  code: string;
  errno: number;
  syscall: string;
}

export function isNativeError(err: unknown, code?: string): err is NativeError {
  return (
    err instanceof Error &&
    typeof (err as Partial<NativeError>).errno === 'number' &&
    typeof (err as Partial<NativeError>).syscall === 'string' &&
    (code === undefined || (err as NativeError).code === code)
  );
}

/** Where the addon is built (<native dir>/wharf_native.node; native-dir.ts). */
export const NATIVE_ADDON_PATH = join(NATIVE_DIR, 'wharf_native.node');

let loaded: WharfNative | undefined;

/** Loads the addon once. Throws an Error with code BINARY_NOT_FOUND when it is not built. */
export function loadNative(): WharfNative {
  if (loaded) return loaded;
  if (!existsSync(NATIVE_ADDON_PATH)) {
    const err = new Error(
      `${NATIVE_ADDON_PATH} not found; build it with \`npm run build:native\``,
    ) as Error & {
      code: string;
    };
    err.code = 'BINARY_NOT_FOUND';
    throw err;
  }
  const require = createRequire(import.meta.url);
  loaded = require(NATIVE_ADDON_PATH) as WharfNative;
  return loaded;
}

/** Lazy proxy: `native.mount(...)` loads the addon on first call. */
export const native: WharfNative = {
  mount: (...a) => loadNative().mount(...a),
  umount2: (...a) => loadNative().umount2(...a),
  fsmount: (...a) => loadNative().fsmount(...a),
  mknod: (...a) => loadNative().mknod(...a),
  lsetxattr: (...a) => loadNative().lsetxattr(...a),
  lgetxattr: (...a) => loadNative().lgetxattr(...a),
  llistxattr: (...a) => loadNative().llistxattr(...a),
};

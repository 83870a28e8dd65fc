// Test fixture: a minimal image root filesystem made from Debian's
// busybox-static, so tests need no registry or network.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, copyFileSync, chmodSync, writeFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export const BUSYBOX = '/bin/busybox';

export function haveBusybox(): boolean {
  return existsSync(BUSYBOX);
}

/** Creates `dir` as a rootfs with /bin/busybox and one symlink per applet. */
export function makeBusyboxRootfs(dir: string): string {
  for (const sub of [
    'bin',
    'sbin',
    'etc',
    'proc',
    'sys',
    'dev',
    'tmp',
    'root',
    'usr/bin',
    'usr/sbin',
    'var',
  ]) {
    mkdirSync(join(dir, sub), { recursive: true });
  }
  copyFileSync(BUSYBOX, join(dir, 'bin/busybox'));
  chmodSync(join(dir, 'bin/busybox'), 0o755);
  chmodSync(join(dir, 'tmp'), 0o1777);
  // Links are absolute inside the rootfs (/bin/busybox), never to the host copy.
  const applets = execFileSync(BUSYBOX, ['--list-full'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  for (const applet of applets) {
    if (applet === 'bin/busybox' || existsSync(join(dir, applet))) continue;
    mkdirSync(join(dir, applet, '..'), { recursive: true });
    symlinkSync('/bin/busybox', join(dir, applet));
  }
  writeFileSync(
    join(dir, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
  );
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');
  return dir;
}

/** True when the process may create namespaces, cgroups and mounts. */
export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

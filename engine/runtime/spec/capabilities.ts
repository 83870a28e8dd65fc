// Capabilities: Docker's default set plus --cap-add/--cap-drop, with Docker's
// rules: names are case-insensitive, "CAP_" is optional, "ALL" in CapAdd means
// every capability minus CapDrop, "ALL" in CapDrop means only CapAdd, and
// --privileged means every capability the kernel knows.
import { readFileSync } from 'node:fs';
import { wharfError } from '../../errors.js';

/** Docker's default set (moby oci/caps/defaults.go, documented in docker run --cap-add). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/** Every capability in linux/capability.h, indexed by number. */
export const ALL_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN', // 0
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL', // 5
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE', // 10
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER', // 15
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT', // 20
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME', // 25
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL', // 30
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM', // 35
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE', // 40
];

let kernelCaps: readonly string[] | undefined;

/** The capabilities this kernel supports (Docker's GetAllCapabilities). */
export function kernelCapabilities(): readonly string[] {
  if (kernelCaps === undefined) {
    let last = ALL_CAPABILITIES.length - 1;
    try {
      const n = Number.parseInt(readFileSync('/proc/sys/kernel/cap_last_cap', 'utf8').trim(), 10);
      if (Number.isInteger(n) && n >= 0) last = Math.min(n, last);
    } catch {
      // no procfs: assume every capability we know
    }
    kernelCaps = ALL_CAPABILITIES.slice(0, last + 1);
  }
  return kernelCaps;
}

/** "sys_admin", "SYS_ADMIN", "cap_sys_admin" -> "CAP_SYS_ADMIN"; "all" -> "ALL". Throws on unknown names. */
export function normalizeCapability(name: string): string {
  const upper = name.trim().toUpperCase();
  if (upper === 'ALL') return 'ALL';
  const full = upper.startsWith('CAP_') ? upper : `CAP_${upper}`;
  if (!ALL_CAPABILITIES.includes(full)) throw wharfError('INVALID_CONFIG', `unknown capability: "${name}"`);
  return full;
}

/** The bounding/effective/permitted set for a container (moby TweakCapabilities). */
export function resolveCapabilities(
  capAdd: readonly string[] | null | undefined,
  capDrop: readonly string[] | null | undefined,
  privileged = false,
): string[] {
  if (privileged) return [...kernelCapabilities()];
  const adds = (capAdd ?? []).map(normalizeCapability);
  const drops = (capDrop ?? []).map(normalizeCapability);
  let caps: string[];
  if (adds.includes('ALL')) {
    caps = kernelCapabilities().filter((c) => !drops.includes(c));
  } else if (drops.includes('ALL')) {
    caps = adds;
  } else {
    caps = [...DEFAULT_CAPABILITIES.filter((c) => !drops.includes(c)), ...adds];
  }
  return [...new Set(caps)];
}

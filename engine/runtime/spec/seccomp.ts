// Seccomp: Wharf's default profile, kept in Docker's profile format (rules
// with includes/excludes on capabilities and architectures), and the
// compiler that turns a profile into the OCI linux.seccomp object for one
// container's capability set. The same compiler handles a custom profile
// passed with --security-opt seccomp=<file>.
//
// Default behaviour (Docker's): every syscall not listed fails with EPERM;
// clone3 fails with ENOSYS so libc falls back to clone, whose namespace flags
// are filtered; unshare likewise; personality only with the handful of
// personas programs use; socket for every family but AF_VSOCK.
import type { OciSeccomp, SeccompAction, SeccompArg, SeccompSyscall } from './oci-types.js';
import {
  ARCH_SYSCALLS,
  CAPABILITY_SYSCALLS,
  EVENT_SYSCALLS,
  FILE_SYSCALLS,
  IPC_SYSCALLS,
  MEMORY_SYSCALLS,
  PROCESS_SYSCALLS,
  SIGNAL_SYSCALLS,
  SOCKET_SYSCALLS,
  TIME_SYSCALLS,
} from './seccomp-syscalls.js';

const EPERM = 1;
const ENOSYS = 38;

/** CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET: namespace-creating flags. */
export const CLONE_NAMESPACE_FLAGS =
  0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

const AF_VSOCK = 40;

/** Docker's profile format: one rule per group, conditional on caps/arches. */
export interface SeccompRule {
  names?: string[];
  /** Old single-name form. */
  name?: string;
  action: SeccompAction;
  errnoRet?: number;
  args?: SeccompArg[] | null;
  comment?: string;
  includes?: { caps?: string[]; arches?: string[] };
  excludes?: { caps?: string[]; arches?: string[] };
}

export interface SeccompProfile {
  defaultAction: SeccompAction;
  defaultErrnoRet?: number;
  architectures?: string[];
  /** Docker's alternative: [{architecture, subArchitectures}]. */
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  syscalls?: SeccompRule[];
}

/** libseccomp architecture names for Node's process.arch (native + compat). */
const ARCHES: Record<string, string[]> = {
  x64: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
  ia32: ['SCMP_ARCH_X86'],
  arm64: ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
  arm: ['SCMP_ARCH_ARM'],
  ppc64: ['SCMP_ARCH_PPC64LE'],
  s390x: ['SCMP_ARCH_S390X', 'SCMP_ARCH_S390'],
  riscv64: ['SCMP_ARCH_RISCV64'],
};

/** Go's GOARCH names, as custom Docker profiles spell architectures. */
const GO_ARCH: Record<string, string> = {
  x64: 'amd64',
  ia32: '386',
  arm64: 'arm64',
  arm: 'arm',
  ppc64: 'ppc64le',
  s390x: 's390x',
  riscv64: 'riscv64',
};

/** Wharf's default profile (independent of capabilities until compiled). */
export function defaultSeccompRules(arch: string = process.arch): SeccompProfile {
  const allow = (comment: string, names: string[]): SeccompRule => ({
    comment,
    names,
    action: 'SCMP_ACT_ALLOW',
  });
  // s390 passes clone's flags in the second argument.
  const cloneFlagsArg = arch === 's390x' ? 1 : 0;
  const rules: SeccompRule[] = [
    allow('files, directories, xattrs, aio', FILE_SYSCALLS),
    allow('memory management', MEMORY_SYSCALLS),
    allow('processes, credentials, scheduling', PROCESS_SYSCALLS),
    allow('signals', SIGNAL_SYSCALLS),
    allow('time and timers', TIME_SYSCALLS),
    allow('polling and event fds', EVENT_SYSCALLS),
    allow('sockets', SOCKET_SYSCALLS),
    allow('System V and POSIX IPC', IPC_SYSCALLS),
    {
      comment: 'socket: every address family but AF_VSOCK (host communication)',
      names: ['socket'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: AF_VSOCK, op: 'SCMP_CMP_NE' }],
    },
    // personality: PER_LINUX, PER_LINUX32, UNAME26, UNAME26|PER_LINUX32, and the query 0xffffffff.
    ...[0x0, 0x8, 0x20000, 0x20008, 0xffffffff].map((value): SeccompRule => ({
      comment: 'personality: only the common personas',
      names: ['personality'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value, op: 'SCMP_CMP_EQ' }],
    })),
    {
      comment: 'clone without namespace flags (CAP_SYS_ADMIN allows all of clone)',
      names: ['clone'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: cloneFlagsArg, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    {
      comment: 'unshare without namespace flags',
      names: ['unshare'],
      action: 'SCMP_ACT_ALLOW',
      args: [{ index: 0, value: CLONE_NAMESPACE_FLAGS, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }],
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
    {
      comment: "clone3's flags live in a struct seccomp cannot read: ENOSYS makes libc fall back to clone",
      names: ['clone3'],
      action: 'SCMP_ACT_ERRNO',
      errnoRet: ENOSYS,
      excludes: { caps: ['CAP_SYS_ADMIN'] },
    },
  ];
  for (const [a, names] of Object.entries(ARCH_SYSCALLS)) {
    rules.push({
      comment: `${a}-specific calls`,
      names,
      action: 'SCMP_ACT_ALLOW',
      includes: { arches: [a] },
    });
  }
  for (const [cap, names] of Object.entries(CAPABILITY_SYSCALLS)) {
    rules.push({ comment: `unlocked by ${cap}`, names, action: 'SCMP_ACT_ALLOW', includes: { caps: [cap] } });
  }
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: EPERM,
    architectures: ARCHES[arch],
    syscalls: rules,
  };
}

function matches(
  cond: { caps?: string[]; arches?: string[] } | undefined,
  caps: ReadonlySet<string>,
  arch: string,
  all: boolean,
): boolean {
  if (!cond) return all;
  const capHit = cond.caps?.length
    ? cond.caps.map((c) => c.toUpperCase()).filter((c) => caps.has(c))
    : undefined;
  const archHit = cond.arches?.length
    ? cond.arches.includes(arch) ||
      cond.arches.includes(GO_ARCH[arch] ?? arch) ||
      cond.arches.some((x) => ARCHES[arch]?.includes(x))
    : undefined;
  // includes: every listed condition must hold; excludes: any listed condition matching excludes.
  if (all) {
    return (cond.caps?.length ? capHit?.length === cond.caps.length : true) && (archHit ?? true);
  }
  return (capHit !== undefined && capHit.length > 0) || archHit === true;
}

/**
 * Compiles a profile in Docker's format into the OCI linux.seccomp object for
 * a process with the given capability set (bounding set, "CAP_*" names).
 */
export function compileSeccomp(
  profile: SeccompProfile,
  caps: readonly string[],
  arch: string = process.arch,
): OciSeccomp {
  const capSet = new Set(caps);
  const syscalls: SeccompSyscall[] = [];
  for (const rule of profile.syscalls ?? []) {
    if (rule.includes && !matches(rule.includes, capSet, arch, true)) continue;
    if (rule.excludes && matches(rule.excludes, capSet, arch, false)) continue;
    const names = rule.names ?? (rule.name !== undefined ? [rule.name] : []);
    if (names.length === 0) continue;
    const out: SeccompSyscall = { names: [...names], action: rule.action };
    if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet;
    if (rule.args && rule.args.length > 0) out.args = rule.args.map((a) => ({ ...a }));
    syscalls.push(out);
  }
  const archList =
    profile.architectures ??
    profile.archMap
      ?.find((m) => ARCHES[arch]?.[0] === m.architecture)
      ?.subArchitectures?.concat(ARCHES[arch]?.[0] ?? []) ??
    ARCHES[arch];
  const seccomp: OciSeccomp = { defaultAction: profile.defaultAction, syscalls };
  if (profile.defaultErrnoRet !== undefined) seccomp.defaultErrnoRet = profile.defaultErrnoRet;
  if (archList) seccomp.architectures = [...archList];
  return seccomp;
}

/** The default profile compiled for `caps` (the container's bounding set). */
export function defaultSeccompProfile(caps: readonly string[], arch: string = process.arch): OciSeccomp {
  return compileSeccomp(defaultSeccompRules(arch), caps, arch);
}

// Syscall lists for Wharf's default seccomp profile, written from the
// behaviour Docker documents (docs.docker.com/engine/security/seccomp/): an
// allow list, everything else EPERM. Grouped by what the calls are for so a
// reviewer can see why each is there. Names the running libseccomp does not
// know (newer syscalls, other architectures' spellings) are skipped by the
// runtime, so the lists may name calls this kernel lacks.

/** Files, directories, links, metadata and extended attributes. */
// prettier-ignore
export const FILE_SYSCALLS = [
  'access', 'faccessat', 'faccessat2',
  'open', 'openat', 'openat2', 'creat', 'close', 'close_range',
  'read', 'readv', 'pread64', 'preadv', 'preadv2', 'readahead',
  'write', 'writev', 'pwrite64', 'pwritev', 'pwritev2',
  'lseek', '_llseek', 'fcntl', 'fcntl64', 'flock', 'ioctl',
  'dup', 'dup2', 'dup3',
  'stat', 'stat64', 'lstat', 'lstat64', 'fstat', 'fstat64', 'fstatat64', 'newfstatat', 'statx',
  'statfs', 'statfs64', 'fstatfs', 'fstatfs64',
  'truncate', 'truncate64', 'ftruncate', 'ftruncate64', 'fallocate', 'fadvise64', 'fadvise64_64',
  'fsync', 'fdatasync', 'sync', 'syncfs', 'sync_file_range',
  'copy_file_range', 'sendfile', 'sendfile64', 'splice', 'tee', 'vmsplice',
  'getdents', 'getdents64', 'getcwd', 'chdir', 'fchdir',
  'mkdir', 'mkdirat', 'rmdir', 'mknod', 'mknodat',
  'link', 'linkat', 'symlink', 'symlinkat', 'unlink', 'unlinkat',
  'rename', 'renameat', 'renameat2', 'readlink', 'readlinkat',
  'chmod', 'fchmod', 'fchmodat', 'fchmodat2',
  'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32', 'umask',
  'utime', 'utimes', 'utimensat', 'utimensat_time64', 'futimesat',
  'getxattr', 'lgetxattr', 'fgetxattr', 'getxattrat',
  'setxattr', 'lsetxattr', 'fsetxattr', 'setxattrat',
  'listxattr', 'llistxattr', 'flistxattr', 'listxattrat',
  'removexattr', 'lremovexattr', 'fremovexattr', 'removexattrat',
  'name_to_handle_at', 'cachestat',
  'inotify_init', 'inotify_init1', 'inotify_add_watch', 'inotify_rm_watch', 'fanotify_mark',
  'io_setup', 'io_destroy', 'io_submit', 'io_cancel', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64',
  'ioprio_get', 'ioprio_set',
  'landlock_create_ruleset', 'landlock_add_rule', 'landlock_restrict_self',
];

/** Memory management. */
// prettier-ignore
export const MEMORY_SYSCALLS = [
  'brk', 'mmap', 'mmap2', 'munmap', 'mremap', 'mprotect', 'madvise', 'msync', 'mincore',
  'mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall', 'remap_file_pages',
  'memfd_create', 'membarrier', 'mseal', 'map_shadow_stack',
  'pkey_alloc', 'pkey_free', 'pkey_mprotect',
];

/** Processes, threads, credentials and scheduling (clone is filtered separately). */
// prettier-ignore
export const PROCESS_SYSCALLS = [
  'execve', 'execveat', 'fork', 'vfork', 'exit', 'exit_group', 'wait4', 'waitid', 'waitpid',
  'getpid', 'getppid', 'gettid', 'getpgid', 'setpgid', 'getpgrp', 'getsid', 'setsid',
  'getuid', 'getuid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getegid', 'getegid32',
  'getresuid', 'getresuid32', 'getresgid', 'getresgid32', 'getgroups', 'getgroups32',
  'setuid', 'setuid32', 'setgid', 'setgid32', 'setreuid', 'setreuid32', 'setregid', 'setregid32',
  'setresuid', 'setresuid32', 'setresgid', 'setresgid32', 'setgroups', 'setgroups32',
  'setfsuid', 'setfsuid32', 'setfsgid', 'setfsgid32', 'capget', 'capset',
  'prctl', 'seccomp', 'getrlimit', 'ugetrlimit', 'setrlimit', 'prlimit64', 'getrusage', 'times',
  'getpriority', 'setpriority', 'getcpu',
  'sched_yield', 'sched_getaffinity', 'sched_setaffinity', 'sched_getattr', 'sched_setattr',
  'sched_getparam', 'sched_setparam', 'sched_getscheduler', 'sched_setscheduler',
  'sched_get_priority_max', 'sched_get_priority_min', 'sched_rr_get_interval', 'sched_rr_get_interval_time64',
  'set_tid_address', 'set_robust_list', 'get_robust_list', 'rseq',
  'set_thread_area', 'get_thread_area',
  'futex', 'futex_time64', 'futex_waitv', 'futex_wake', 'futex_wait', 'futex_requeue',
  'pidfd_open', 'pidfd_send_signal', 'process_mrelease',
  'uname', 'sysinfo', 'getrandom', 'restart_syscall',
  // Docker allows ptrace without CAP_SYS_PTRACE on kernels >= 4.8, where
  // seccomp is re-checked after the tracer changes a syscall.
  'ptrace',
];

/** Signals. */
// prettier-ignore
export const SIGNAL_SYSCALLS = [
  'kill', 'tkill', 'tgkill', 'pause',
  'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigqueueinfo', 'rt_sigreturn',
  'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64', 'rt_tgsigqueueinfo',
  'sigaltstack', 'sigprocmask', 'sigreturn', 'signalfd', 'signalfd4',
];

/** Time and timers (setting the clock needs CAP_SYS_TIME, below). */
// prettier-ignore
export const TIME_SYSCALLS = [
  'time', 'gettimeofday', 'clock_gettime', 'clock_gettime64', 'clock_getres', 'clock_getres_time64',
  'clock_nanosleep', 'clock_nanosleep_time64', 'nanosleep', 'alarm', 'getitimer', 'setitimer',
  'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime', 'timer_gettime64',
  'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64',
  'timerfd_settime', 'timerfd_settime64',
  // Read-only use is harmless; changing the clock fails on CAP_SYS_TIME in the kernel.
  'adjtimex', 'clock_adjtime', 'clock_adjtime64',
];

/** Polling and event fds. */
// prettier-ignore
export const EVENT_SYSCALLS = [
  'select', '_newselect', 'pselect6', 'pselect6_time64', 'poll', 'ppoll', 'ppoll_time64',
  'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_wait', 'epoll_wait_old',
  'epoll_pwait', 'epoll_pwait2', 'eventfd', 'eventfd2', 'pipe', 'pipe2',
];

/** Sockets (socket itself is filtered by address family). */
// prettier-ignore
export const SOCKET_SYSCALLS = [
  'socketpair', 'bind', 'connect', 'listen', 'accept', 'accept4', 'shutdown',
  'getsockname', 'getpeername', 'getsockopt', 'setsockopt',
  'send', 'sendto', 'sendmsg', 'sendmmsg', 'recv', 'recvfrom', 'recvmsg', 'recvmmsg', 'recvmmsg_time64',
  'socketcall',
];

/** System V and POSIX IPC (isolated by the IPC namespace). */
// prettier-ignore
export const IPC_SYSCALLS = [
  'ipc', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'semctl', 'semget', 'semop', 'semtimedop',
  'semtimedop_time64', 'shmat', 'shmctl', 'shmdt', 'shmget',
  'mq_open', 'mq_unlink', 'mq_getsetattr', 'mq_notify', 'mq_timedreceive', 'mq_timedreceive_time64',
  'mq_timedsend', 'mq_timedsend_time64',
];

/** Architecture-specific calls, keyed by Node's process.arch. */
// prettier-ignore
export const ARCH_SYSCALLS: Record<string, string[]> = {
  x64: ['arch_prctl', 'modify_ldt'],
  ia32: ['arch_prctl', 'modify_ldt'],
  arm64: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
  arm: ['arm_fadvise64_64', 'arm_sync_file_range', 'sync_file_range2', 'breakpoint', 'cacheflush', 'set_tls'],
  s390x: ['s390_pci_mmio_read', 's390_pci_mmio_write', 's390_runtime_instr'],
};

/**
 * Calls a capability unlocks: with the capability in the bounding set the
 * call is allowed (the kernel still checks the capability itself).
 */
// prettier-ignore
export const CAPABILITY_SYSCALLS: Record<string, string[]> = {
  CAP_DAC_READ_SEARCH: ['open_by_handle_at'],
  CAP_SYS_ADMIN: [
    'bpf', 'clone', 'clone3', 'fanotify_init', 'fsconfig', 'fsmount', 'fsopen', 'fspick',
    'lookup_dcookie', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'perf_event_open',
    'quotactl', 'quotactl_fd', 'setdomainname', 'sethostname', 'setns', 'syslog', 'umount',
    'umount2', 'unshare',
  ],
  CAP_SYS_BOOT: ['reboot'],
  CAP_SYS_CHROOT: ['chroot'],
  CAP_SYS_MODULE: ['delete_module', 'init_module', 'finit_module'],
  CAP_SYS_PACCT: ['acct'],
  CAP_SYS_PTRACE: ['kcmp', 'pidfd_getfd', 'process_madvise', 'process_vm_readv', 'process_vm_writev', 'ptrace'],
  CAP_SYS_RAWIO: ['iopl', 'ioperm'],
  CAP_SYS_TIME: ['settimeofday', 'stime', 'clock_settime', 'clock_settime64'],
  CAP_SYS_TTY_CONFIG: ['vhangup'],
  CAP_SYS_NICE: ['get_mempolicy', 'mbind', 'set_mempolicy', 'set_mempolicy_home_node'],
  CAP_SYSLOG: ['syslog'],
  CAP_BPF: ['bpf'],
  CAP_PERFMON: ['perf_event_open'],
};

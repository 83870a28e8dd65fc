/* The last steps before the container's process runs, shared by the init
 * and by `exec`: resolve the executable in the container's PATH, build the
 * environment, chdir to cwd with no host fd left open (CVE-2024-21626),
 * then at exec time no_new_privs, seccomp, user and capabilities. */
#ifndef WHARF_RUNTIME_PROCESS_H
#define WHARF_RUNTIME_PROCESS_H

#include "common/error.h"
#include "runtime/seccomp.h"
#include "runtime/spec.h"

struct wharf_exec_plan
{
  char *path;   /* resolved executable */
  char **env;   /* NULL-terminated */
  const struct wharf_seccomp_prog *seccomp; /* or NULL */
};

/* Closes every fd >= 3 except those listed. */
int wharf_close_fds_except (const int *keep, int n_keep, wharf_error_t *err);

/* Runs inside the container (after pivot_root / setns). keep lists the fds
 * still needed until exec (sync socket, exec.fifo); all others are closed
 * before chdir. */
int wharf_process_prepare (const struct wharf_process *p, const struct wharf_seccomp_prog *seccomp, const int *keep,
                           int n_keep, struct wharf_exec_plan *plan, wharf_error_t *err);

/* rlimits and oom_score_adj (before capabilities are dropped). */
int wharf_process_limits (const struct wharf_process *p, wharf_error_t *err);

/* no_new_privs, seccomp, user, capabilities, umask, execve. Returns only
 * on failure. */
int wharf_process_exec (const struct wharf_process *p, struct wharf_exec_plan *plan, wharf_error_t *err);

#endif

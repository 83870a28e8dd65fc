/* A shim whose state dir is deleted (its exec root removed, e.g. by a crashed
 * engine's cleanup or rm -rf of a test's temp dir) can never be reached
 * again: nothing would ever start, stop or remove its container. The orphan
 * watch notices the deletion: every ORPHAN_CHECK_S seconds a timer has it
 * look at the link count of the state dir, the shim's cwd (inotify cannot
 * tell: the kernel reports a directory's deletion only once nobody, not even
 * a cwd, holds it). The monitor then kills the container and, once it has
 * been reaped, removes its now empty cgroups, so nothing is left behind. */
#ifndef WHARF_SHIM_ORPHAN_H
#define WHARF_SHIM_ORPHAN_H

#include <stdbool.h>
#include <sys/types.h>

#include "shim/event.h"

#define ORPHAN_MAX_CGROUPS 16
#define ORPHAN_CHECK_S 2

struct orphan_watch
{
  struct ep_src src; /* EP_ORPHAN: a timerfd */
  char *cgroups[ORPHAN_MAX_CGROUPS]; /* cgroup dirs of the container, read when orphaned */
  int n_cgroups;
  bool owns_cgroups; /* false for an exec: the cgroups are its container's */
  bool orphaned;
};

/* Watches the current directory. Best effort: without a timerfd, src.fd is -1. */
void orphan_watch_init (struct orphan_watch *w, int epfd);

/* On the timer: true when the state dir is gone. Records the
 * cgroup dirs of pid (still alive) for orphan_remove_cgroups. */
bool orphan_check (struct orphan_watch *w, pid_t pid);

/* After the container was reaped: rmdir its cgroup dirs (only empty ones go). */
void orphan_remove_cgroups (struct orphan_watch *w);

void orphan_watch_close (struct orphan_watch *w, int epfd);

#endif

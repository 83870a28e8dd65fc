/* Did the OOM killer fire in the container's memory cgroup? Compares the
 * cgroup's oom_kill counter when the container was created with the count
 * at exit (conmon's src/oom.c watches an eventfd instead; a counter needs no
 * fd per event and works on v1 and v2 alike).
 *
 * The cgroup comes from /proc/<pid>/cgroup right after create:
 *  - v1 "N:memory:/path"  -> <memory mount>/path/memory.oom_control, "oom_kill N"
 *  - v2 "0::/path"        -> <cgroup2 mount>/path/memory.events, "oom_kill N"
 * v1 wins when both exist (hybrid hosts keep memory on v1). The file stays
 * open so the count can be read even after the path is gone. */
#ifndef WHARF_SHIM_OOM_H
#define WHARF_SHIM_OOM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

struct oom_watch
{
  int fd; /* -1 when no counter was found */
  uint64_t start;
};

/* Finds and opens pid's counter. Not finding one is not an error (fd = -1). */
int oom_watch_open (struct oom_watch *w, pid_t pid, wharf_error_t *err);

/* True when the counter grew since oom_watch_open. */
bool oom_watch_fired (struct oom_watch *w);

void oom_watch_close (struct oom_watch *w);

#endif

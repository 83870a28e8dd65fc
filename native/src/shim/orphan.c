#include "shim/orphan.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <sys/stat.h>
#include <unistd.h>

void
orphan_watch_init (struct orphan_watch *w, int epfd)
{
  memset (w, 0, sizeof (*w));
  w->src.kind = EP_ORPHAN;
  struct itimerspec every = { .it_interval = { ORPHAN_CHECK_S, 0 }, .it_value = { ORPHAN_CHECK_S, 0 } };
  w->src.fd = timerfd_create (CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (w->src.fd < 0)
    return;
  if (timerfd_settime (w->src.fd, 0, &every, NULL) < 0 || ep_src_set (epfd, &w->src, EPOLLIN) < 0)
    {
      close (w->src.fd);
      w->src.fd = -1;
    }
}

/* The conventional mount point of a /proc/PID/cgroup line's hierarchy. */
static char *
cgroup_dir (const char *line)
{
  const char *c1 = strchr (line, ':'), *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
  char *dir = NULL;
  if (c2 == NULL || c2[1] != '/' || c2[2] == '\0')
    return NULL; /* the root cgroup is never ours to remove */
  if (c2 == c1 + 1)
    {
      struct stat sb;
      const char *mnt = stat ("/sys/fs/cgroup/unified", &sb) == 0 ? "/sys/fs/cgroup/unified" : "/sys/fs/cgroup";
      return asprintf (&dir, "%s%s", mnt, c2 + 1) < 0 ? NULL : dir;
    }
  if (strncmp (c1 + 1, "name=", 5) == 0)
    return asprintf (&dir, "/sys/fs/cgroup/%.*s%s", (int) (c2 - c1 - 6), c1 + 6, c2 + 1) < 0 ? NULL : dir;
  return asprintf (&dir, "/sys/fs/cgroup/%.*s%s", (int) (c2 - c1 - 1), c1 + 1, c2 + 1) < 0 ? NULL : dir;
}

static void
record_cgroups (struct orphan_watch *w, pid_t pid)
{
  char path[64], line[1024];
  FILE *f;
  snprintf (path, sizeof (path), "/proc/%d/cgroup", (int) pid);
  f = fopen (path, "re");
  if (f == NULL)
    return;
  while (w->n_cgroups < ORPHAN_MAX_CGROUPS && fgets (line, sizeof (line), f))
    {
      char *dir;
      line[strcspn (line, "\n")] = '\0';
      dir = cgroup_dir (line);
      if (dir)
        w->cgroups[w->n_cgroups++] = dir;
    }
  fclose (f);
}

bool
orphan_check (struct orphan_watch *w, pid_t pid)
{
  uint64_t ticks;
  struct stat sb;
  while (read (w->src.fd, &ticks, sizeof (ticks)) > 0)
    ;
  if (!w->orphaned && stat (".", &sb) == 0 && sb.st_nlink == 0)
    w->orphaned = true;
  if (w->orphaned && w->owns_cgroups && w->n_cgroups == 0 && pid > 0)
    record_cgroups (w, pid);
  return w->orphaned;
}

void
orphan_remove_cgroups (struct orphan_watch *w)
{
  for (int i = 0; i < w->n_cgroups; i++)
    {
      /* The kernel may still be tearing the last task down: retry briefly. */
      for (int tries = 0; tries < 50 && rmdir (w->cgroups[i]) < 0 && errno == EBUSY; tries++)
        usleep (10 * 1000);
      free (w->cgroups[i]);
    }
  w->n_cgroups = 0;
}

void
orphan_watch_close (struct orphan_watch *w, int epfd)
{
  ep_src_close (epfd, &w->src);
  for (int i = 0; i < w->n_cgroups; i++)
    free (w->cgroups[i]);
  w->n_cgroups = 0;
}

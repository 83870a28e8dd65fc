#include "shim/oom.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common/utils.h"

#ifndef CGROUP_SUPER_MAGIC
#  define CGROUP_SUPER_MAGIC 0x27e0eb
#endif
#ifndef CGROUP2_SUPER_MAGIC
#  define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* Reads "oom_kill N" from an open memory.events / memory.oom_control. */
static int
read_counter (int fd, uint64_t *out)
{
  char buf[512];
  ssize_t n;
  const char *p;
  do
    n = pread (fd, buf, sizeof (buf) - 1, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  for (p = buf; p != NULL && *p; p = strchr (p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp (p, "oom_kill ", 9) == 0)
      {
        *out = strtoull (p + 9, NULL, 10);
        return 0;
      }
  return -1;
}

/* The mount point of the v1 memory hierarchy (want_v2 false) or of cgroup2,
 * from mountinfo. root receives the mount's root inside the hierarchy. */
static int
find_mount (const char *mountinfo, bool want_v2, char *mnt, size_t mnt_len, char *root, size_t root_len)
{
  const char *line = mountinfo;
  while (line && *line)
    {
      const char *end = strchr (line, '\n');
      size_t len = end ? (size_t) (end - line) : strlen (line);
      char copy[1024], *f[6], *sep, *fstype, *opts, *save = NULL;
      int i = 0;
      if (len < sizeof (copy))
        {
          memcpy (copy, line, len);
          copy[len] = '\0';
          sep = strstr (copy, " - ");
          if (sep)
            {
              *sep = '\0';
              for (char *t = strtok_r (copy, " ", &save); t && i < 6; t = strtok_r (NULL, " ", &save))
                f[i++] = t;
              fstype = strtok_r (sep + 3, " ", &save);
              strtok_r (NULL, " ", &save); /* source */
              opts = strtok_r (NULL, " ", &save);
              if (i >= 5 && fstype
                  && (want_v2 ? strcmp (fstype, "cgroup2") == 0
                              : (strcmp (fstype, "cgroup") == 0 && opts
                                 && (strstr (opts, ",memory") || strncmp (opts, "memory", 6) == 0))))
                {
                  snprintf (root, root_len, "%s", f[3]);
                  snprintf (mnt, mnt_len, "%s", f[4]);
                  return 0;
                }
            }
        }
      line = end ? end + 1 : NULL;
    }
  return -1;
}

/* The memory cgroup path of pid: v1's when there is a memory line. */
static int
find_cgroup (const char *cgroups, char *path, size_t path_len, bool *v2)
{
  const char *line = cgroups;
  bool found_v2 = false;
  while (line && *line)
    {
      const char *end = strchr (line, '\n');
      size_t len = end ? (size_t) (end - line) : strlen (line);
      const char *c1 = memchr (line, ':', len);
      const char *c2 = c1 ? memchr (c1 + 1, ':', len - (size_t) (c1 + 1 - line)) : NULL;
      if (c2)
        {
          size_t clen = (size_t) (c2 - c1 - 1), plen = len - (size_t) (c2 + 1 - line);
          bool mem = false;
          for (const char *t = c1 + 1; t < c2;)
            {
              const char *comma = memchr (t, ',', (size_t) (c2 - t));
              size_t tl = comma ? (size_t) (comma - t) : (size_t) (c2 - t);
              if (tl == 6 && memcmp (t, "memory", 6) == 0)
                mem = true;
              t += tl + 1;
            }
          if ((mem || (clen == 0 && !found_v2)) && plen < path_len)
            {
              memcpy (path, c2 + 1, plen);
              path[plen] = '\0';
              if (mem)
                {
                  *v2 = false;
                  return 0;
                }
              found_v2 = true;
            }
        }
      line = end ? end + 1 : NULL;
    }
  *v2 = true;
  return found_v2 ? 0 : -1;
}

/* Opens the counter file under the usual mount point (/sys/fs/cgroup/memory
 * for v1, /sys/fs/cgroup for v2) when that is the right kind of cgroup
 * filesystem and the file exists there: mountinfo lists every container's
 * rootfs too, so parsing it per container costs more the more there are. */
static int
open_conventional (struct oom_watch *w, const char *cg, bool v2)
{
  const char *mnt = v2 ? "/sys/fs/cgroup" : "/sys/fs/cgroup/memory";
  char file[1600];
  struct statfs sf;
  if (statfs (mnt, &sf) < 0 || sf.f_type != (v2 ? CGROUP2_SUPER_MAGIC : CGROUP_SUPER_MAGIC))
    return -1;
  if (snprintf (file, sizeof (file), "%s/%s/%s", mnt, cg, v2 ? "memory.events" : "memory.oom_control")
      >= (int) sizeof (file))
    return -1;
  w->fd = open (file, O_RDONLY | O_CLOEXEC);
  if (w->fd < 0)
    return -1;
  if (read_counter (w->fd, &w->start) < 0)
    {
      close (w->fd);
      w->fd = -1;
    }
  return 0;
}

int
oom_watch_open (struct oom_watch *w, pid_t pid, wharf_error_t *err)
{
  cleanup_free char *cgroups = NULL;
  cleanup_free char *mountinfo = NULL;
  cleanup_free char *file = NULL;
  char proc[64], cg[1024], mnt[512], root[512];
  const char *rel;
  size_t rootlen;
  bool v2;

  w->fd = -1;
  w->start = 0;
  snprintf (proc, sizeof (proc), "/proc/%d/cgroup", (int) pid);
  if (wharf_read_file_at (AT_FDCWD, proc, &cgroups, NULL, err) < 0)
    return -1;
  if (find_cgroup (cgroups, cg, sizeof (cg), &v2) < 0)
    return 0;
  if (open_conventional (w, cg, v2) == 0)
    return 0;
  if (wharf_read_file_at (AT_FDCWD, "/proc/self/mountinfo", &mountinfo, NULL, err) < 0)
    return -1;
  if (find_mount (mountinfo, v2, mnt, sizeof (mnt), root, sizeof (root)) < 0)
    return 0;
  /* The mount may show a subtree of the hierarchy (nested containers). */
  rel = cg;
  rootlen = strlen (root);
  if (strcmp (root, "/") != 0 && strncmp (cg, root, rootlen) == 0)
    rel = cg + rootlen;
  if (asprintf (&file, "%s/%s/%s", mnt, rel, v2 ? "memory.events" : "memory.oom_control") < 0)
    return wharf_make_error (err, ENOMEM, "oom watch");
  w->fd = open (file, O_RDONLY | O_CLOEXEC);
  if (w->fd < 0)
    return 0; /* no memory controller there: nothing to watch */
  if (read_counter (w->fd, &w->start) < 0)
    {
      close (w->fd);
      w->fd = -1;
    }
  return 0;
}

bool
oom_watch_fired (struct oom_watch *w)
{
  uint64_t now;
  if (w->fd < 0)
    return false;
  if (read_counter (w->fd, &now) < 0)
    return false;
  return now > w->start;
}

void
oom_watch_close (struct oom_watch *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
}

#include "runtime/mounts.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/resolve.h"

static unsigned long
locked_flags (int fd)
{
  struct statvfs sv;
  unsigned long f = 0;
  if (fstatvfs (fd, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

int
wharf_remount_bind (int fd, unsigned long flags, wharf_error_t *err)
{
  char p[32];
  unsigned long keep = locked_flags (fd);
  flags &= ~(MS_REMOUNT | MS_BIND | MS_REC);
  if (mount (NULL, wharf_fd_path (p, fd), NULL, MS_REMOUNT | MS_BIND | flags | keep, NULL) < 0)
    return wharf_make_error (err, errno, "remount");
  return 0;
}

int
wharf_mount_one (int rootfd, const struct wharf_spec *spec, const struct wharf_mount *m,
                 const struct wharf_cgroup *cg, wharf_error_t *err)
{
  cleanup_free char *src = NULL;
  cleanup_close int target = -1, mounted = -1;
  char tp[32], mp[32];
  bool as_file = false;
  const char *dest = m->destination;

  if (wharf_check_escape (rootfd, dest, err) < 0)
    return wharf_error_wrap (err, "mount destination `%s`", dest);
  if (strcmp (m->type, "cgroup") == 0 || strcmp (m->type, "cgroup2") == 0)
    return wharf_mount_cgroupfs (rootfd, m, cg, err);

  if (m->bind)
    {
      struct stat sb;
      if (m->source[0] == '/')
        src = strdup (m->source);
      else if (asprintf (&src, "%s/%s", spec->bundle, m->source) < 0)
        src = NULL;
      if (src == NULL)
        return wharf_make_error (err, ENOMEM, "mount");
      if (stat (src, &sb) < 0)
        return wharf_make_error (err, errno, "bind mount source `%s`", src);
      as_file = !S_ISDIR (sb.st_mode);
    }
  target = wharf_mkpath_in_root (rootfd, dest, as_file, err);
  if (target < 0)
    return wharf_error_wrap (err, "mount destination");
  wharf_fd_path (tp, target);
  if (m->bind)
    {
      if (mount (src, tp, NULL, MS_BIND | (m->recursive_bind ? MS_REC : 0), NULL) < 0)
        return wharf_make_error (err, errno, "bind mount `%s` on `%s`", src, dest);
    }
  else
    {
      unsigned long flags = m->flags & ~MS_REMOUNT;
      if (mount (m->source ? m->source : m->type, tp, m->type, flags, m->data) < 0)
        return wharf_make_error (err, errno, "mount %s on `%s`", m->type, dest);
    }
  if ((m->bind && (m->flags & ~MS_REMOUNT)) || m->propagation)
    {
      /* Reopen: the fd we mounted on still names the covered directory. */
      mounted = wharf_open_in_root (rootfd, dest, 0, err);
      if (mounted < 0)
        return -1;
      if (m->bind && (m->flags & ~MS_REMOUNT) && wharf_remount_bind (mounted, m->flags, err) < 0)
        return wharf_error_wrap (err, "mount `%s`", dest);
      if (m->propagation && mount (NULL, wharf_fd_path (mp, mounted), NULL, m->propagation, NULL) < 0)
        return wharf_make_error (err, errno, "set propagation of `%s`", dest);
    }
  return 0;
}

static int
bind_hierarchy (int dirfd, const char *name, const char *src, unsigned long flags, wharf_error_t *err)
{
  cleanup_close int sub = -1;
  char p[32];
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return wharf_make_error (err, errno, "mkdir cgroup `%s`", name);
  sub = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return wharf_make_error (err, errno, "open cgroup `%s`", name);
  if (mount (src, wharf_fd_path (p, sub), NULL, MS_BIND | MS_REC, NULL) < 0)
    return wharf_make_error (err, errno, "bind cgroup `%s`", src);
  close (sub);
  sub = openat (dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (sub < 0)
    return wharf_make_error (err, errno, "open cgroup `%s`", name);
  return wharf_remount_bind (sub, flags, err);
}

int
wharf_mount_cgroupfs (int rootfd, const struct wharf_mount *m, const struct wharf_cgroup *cg, wharf_error_t *err)
{
  cleanup_close int target = -1, tmp = -1;
  cleanup_free char *src = NULL;
  unsigned long flags = (m->flags & ~MS_REMOUNT) | MS_NOSUID | MS_NODEV | MS_NOEXEC;
  char tp[32];
  DIR *d;
  struct dirent *de;

  if (cg == NULL || cg->fs_root == NULL)
    return 0;
  target = wharf_mkpath_in_root (rootfd, m->destination, false, err);
  if (target < 0)
    return -1;
  if (strcmp (cg->manager->name, "v2") == 0)
    {
      if (asprintf (&src, "%s/%s", cg->fs_root, cg->path) < 0)
        return wharf_make_error (err, ENOMEM, "cgroup mount");
      if (mount (src, wharf_fd_path (tp, target), NULL, MS_BIND | MS_REC, NULL) < 0)
        return wharf_make_error (err, errno, "bind cgroup `%s`", src);
      tmp = wharf_open_in_root (rootfd, m->destination, O_DIRECTORY, err);
      return tmp < 0 ? -1 : wharf_remount_bind (tmp, flags, err);
    }
  /* v1: a tmpfs with one bind mount per hierarchy, as runc lays it out. */
  if (mount ("cgroup", wharf_fd_path (tp, target), "tmpfs", flags & ~MS_RDONLY, "mode=755") < 0)
    return wharf_make_error (err, errno, "mount tmpfs on `%s`", m->destination);
  tmp = wharf_open_in_root (rootfd, m->destination, O_DIRECTORY, err);
  if (tmp < 0)
    return -1;
  d = opendir (cg->fs_root);
  if (d == NULL)
    return wharf_make_error (err, errno, "open `%s`", cg->fs_root);
  while ((de = readdir (d)) != NULL)
    {
      char link[PATH_MAX];
      cleanup_free char *hier = NULL;
      struct stat sb;
      ssize_t n;
      if (de->d_name[0] == '.')
        continue;
      if (de->d_type == DT_LNK)
        {
          n = readlinkat (dirfd (d), de->d_name, link, sizeof (link) - 1);
          if (n > 0)
            {
              link[n] = '\0';
              symlinkat (link, tmp, de->d_name);
            }
          continue;
        }
      if (de->d_type != DT_DIR || asprintf (&hier, "%s/%s/%s", cg->fs_root, de->d_name, cg->path) < 0)
        continue;
      if (stat (hier, &sb) < 0)
        continue;
      if (bind_hierarchy (tmp, de->d_name, hier, flags, err) < 0)
        {
          closedir (d);
          return -1;
        }
    }
  closedir (d);
  if (flags & MS_RDONLY)
    {
      char p[32];
      if (mount (NULL, wharf_fd_path (p, tmp), NULL, MS_REMOUNT | (flags & ~MS_BIND), "mode=755") < 0)
        return wharf_make_error (err, errno, "remount `%s` read-only", m->destination);
    }
  return 0;
}

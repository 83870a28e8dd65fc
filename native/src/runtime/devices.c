/* /dev inside the container: the default device set, linux.devices and the
 * usual symlinks. */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/resolve.h"

static const struct wharf_device default_devices[] = {
  { "/dev/null", 'c', 1, 3, true, false, false, 0666, 0, 0 },
  { "/dev/zero", 'c', 1, 5, true, false, false, 0666, 0, 0 },
  { "/dev/full", 'c', 1, 7, true, false, false, 0666, 0, 0 },
  { "/dev/random", 'c', 1, 8, true, false, false, 0666, 0, 0 },
  { "/dev/urandom", 'c', 1, 9, true, false, false, 0666, 0, 0 },
  { "/dev/tty", 'c', 5, 0, true, false, false, 0666, 0, 0 },
};

static int
create_device (int rootfd, const struct wharf_device *d, bool bind, wharf_error_t *err)
{
  char dir[PATH_MAX], name[PATH_MAX], p[32];
  cleanup_close int parent = -1, node = -1;
  mode_t type;
  snprintf (dir, sizeof (dir), "%s", d->path);
  snprintf (name, sizeof (name), "%s", basename (dir));
  snprintf (dir, sizeof (dir), "%s", d->path);
  parent = wharf_mkpath_in_root (rootfd, dirname (dir), false, err);
  if (parent < 0)
    return wharf_error_wrap (err, "device `%s`", d->path);
  if (bind)
    {
      node = openat (parent, name, O_CREAT | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
      if (node < 0 && errno != ENXIO && errno != EEXIST)
        return wharf_make_error (err, errno, "create `%s`", d->path);
      if (node >= 0)
        close (node);
      node = openat (parent, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (node < 0)
        return wharf_make_error (err, errno, "open `%s`", d->path);
      if (mount (d->path, wharf_fd_path (p, node), NULL, MS_BIND, NULL) < 0)
        return wharf_make_error (err, errno, "bind mount device `%s`", d->path);
      return 0;
    }
  type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;
  /* Whatever the image put there (maybe a symlink to a host path) goes. */
  if (unlinkat (parent, name, 0) < 0 && errno != ENOENT && errno != EISDIR)
    return wharf_make_error (err, errno, "replace `%s`", d->path);
  if (mknodat (parent, name, type | (d->has_mode ? d->mode : 0666), makedev (d->major, d->minor)) < 0)
    return wharf_make_error (err, errno, "mknod `%s`", d->path);
  if ((d->has_uid || d->has_gid)
      && fchownat (parent, name, d->has_uid ? d->uid : (uid_t) -1, d->has_gid ? d->gid : (gid_t) -1,
                   AT_SYMLINK_NOFOLLOW) < 0)
    return wharf_make_error (err, errno, "chown `%s`", d->path);
  return 0;
}

int
wharf_devices_setup (int rootfd, const struct wharf_spec *spec, bool bind, wharf_error_t *err)
{
  static const char *links[][2] = { { "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
                                    { "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
                                    { "/proc/kcore", "core" } };
  cleanup_close int dev = -1;
  bool has_pts = false;
  for (size_t i = 0; i < sizeof (default_devices) / sizeof (default_devices[0]); i++)
    {
      bool overridden = false;
      for (size_t j = 0; j < spec->n_devices; j++)
        overridden |= strcmp (spec->devices[j].path, default_devices[i].path) == 0;
      if (!overridden && create_device (rootfd, &default_devices[i], bind, err) < 0)
        return -1;
    }
  for (size_t j = 0; j < spec->n_devices; j++)
    if (create_device (rootfd, &spec->devices[j], bind, err) < 0)
      return -1;
  dev = wharf_open_in_root (rootfd, "/dev", O_DIRECTORY, err);
  if (dev < 0)
    return -1;
  for (size_t i = 0; i < sizeof (links) / sizeof (links[0]); i++)
    if (symlinkat (links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
      return wharf_make_error (err, errno, "symlink /dev/%s", links[i][1]);
  for (size_t i = 0; i < spec->n_mounts; i++)
    has_pts |= strcmp (spec->mounts[i].destination, "/dev/pts") == 0;
  if (has_pts)
    {
      if (unlinkat (dev, "ptmx", 0) < 0 && errno != ENOENT)
        return wharf_make_error (err, errno, "remove /dev/ptmx");
      if (symlinkat ("pts/ptmx", dev, "ptmx") < 0)
        return wharf_make_error (err, errno, "symlink /dev/ptmx");
    }
  return 0;
}

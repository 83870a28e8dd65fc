/* The rootfs switch and what follows it. */
#include "runtime/mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/resolve.h"

int
wharf_rootfs_prepare (const struct wharf_spec *spec, const struct wharf_cgroup *cg, bool bind_devices,
                      wharf_error_t *err)
{
  cleanup_close int rootfd = -1;
  int fd;
  /* Nothing we mount may propagate back to the host. */
  if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
    return wharf_make_error (err, errno, "make / rslave");
  if (mount (spec->rootfs, spec->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return wharf_make_error (err, errno, "bind mount the rootfs `%s`", spec->rootfs);
  rootfd = open (spec->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return wharf_make_error (err, errno, "open the rootfs `%s`", spec->rootfs);
  for (size_t i = 0; i < spec->n_mounts; i++)
    if (wharf_mount_one (rootfd, spec, &spec->mounts[i], cg, err) < 0)
      return -1;
  if (wharf_devices_setup (rootfd, spec, bind_devices, err) < 0)
    return -1;
  fd = rootfd;
  rootfd = -1;
  return fd;
}

int
wharf_rootfs_pivot (int rootfd, bool no_pivot, wharf_error_t *err)
{
  cleanup_close int fd = rootfd;
  if (fchdir (fd) < 0)
    return wharf_make_error (err, errno, "chdir to the rootfs");
  if (no_pivot)
    {
      if (mount (".", "/", NULL, MS_MOVE, NULL) < 0)
        return wharf_make_error (err, errno, "move the rootfs to /");
      if (chroot (".") < 0)
        return wharf_make_error (err, errno, "chroot");
    }
  else
    {
      /* pivot_root(".", ".") stacks the old root on top of the new one;
         detach it without letting the unmount propagate anywhere. */
      if (syscall (SYS_pivot_root, ".", ".") < 0)
        return wharf_make_error (err, errno, "pivot_root");
      if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return wharf_make_error (err, errno, "make the old root rslave");
      if (umount2 (".", MNT_DETACH) < 0)
        return wharf_make_error (err, errno, "unmount the old root");
    }
  if (chdir ("/") < 0)
    return wharf_make_error (err, errno, "chdir /");
  return 0;
}

static int
apply_sysctl (const struct wharf_spec *spec, wharf_error_t *err)
{
  for (size_t i = 0; i < spec->n_sysctl; i++)
    {
      char path[512];
      size_t n = (size_t) snprintf (path, sizeof (path), "/proc/sys/%s", spec->sysctl_keys[i]);
      for (size_t j = 10; j < n && j < sizeof (path); j++)
        if (path[j] == '.')
          path[j] = '/';
      if (wharf_write_file_at (AT_FDCWD, path, spec->sysctl_values[i], strlen (spec->sysctl_values[i]), err) < 0)
        return wharf_error_wrap (err, "sysctl %s", spec->sysctl_keys[i]);
    }
  return 0;
}

static int
mask_paths (const struct wharf_spec *spec, wharf_error_t *err)
{
  cleanup_close int null = -1;
  struct stat sb;
  char np[32], tp[32];
  if (spec->n_masked_paths == 0)
    return 0;
  /* Our /dev/null, checked: an image could have swapped it for a link. */
  null = open ("/dev/null", O_PATH | O_NOFOLLOW | O_CLOEXEC);
  if (null < 0 || fstat (null, &sb) < 0 || !S_ISCHR (sb.st_mode) || sb.st_rdev != makedev (1, 3))
    return wharf_make_error (err, 0, "/dev/null in the container is not the null device");
  wharf_fd_path (np, null);
  for (size_t i = 0; i < spec->n_masked_paths; i++)
    {
      cleanup_close int fd = open (spec->masked_paths[i], O_PATH | O_CLOEXEC);
      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          return wharf_make_error (err, errno, "masked path `%s`", spec->masked_paths[i]);
        }
      if (fstat (fd, &sb) < 0)
        return wharf_make_error (err, errno, "masked path `%s`", spec->masked_paths[i]);
      wharf_fd_path (tp, fd);
      if (S_ISDIR (sb.st_mode) ? mount ("tmpfs", tp, "tmpfs", MS_RDONLY, "size=0,mode=755")
                               : mount (np, tp, NULL, MS_BIND, NULL))
        return wharf_make_error (err, errno, "mask `%s`", spec->masked_paths[i]);
    }
  return 0;
}

static int
readonly_paths (const struct wharf_spec *spec, wharf_error_t *err)
{
  for (size_t i = 0; i < spec->n_readonly_paths; i++)
    {
      const char *path = spec->readonly_paths[i];
      cleanup_close int fd = open (path, O_PATH | O_CLOEXEC), again = -1;
      char p[32];
      if (fd < 0)
        {
          if (errno == ENOENT)
            continue;
          return wharf_make_error (err, errno, "read-only path `%s`", path);
        }
      wharf_fd_path (p, fd);
      if (mount (p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
        return wharf_make_error (err, errno, "bind read-only path `%s`", path);
      again = open (path, O_PATH | O_CLOEXEC);
      if (again < 0 || wharf_remount_bind (again, MS_RDONLY, err) < 0)
        return again < 0 ? wharf_make_error (err, errno, "open `%s`", path)
                         : wharf_error_wrap (err, "read-only path `%s`", path);
    }
  return 0;
}

int
wharf_rootfs_finish (const struct wharf_spec *spec, wharf_error_t *err)
{
  if (apply_sysctl (spec, err) < 0 || mask_paths (spec, err) < 0 || readonly_paths (spec, err) < 0)
    return -1;
  if (spec->root_readonly)
    {
      cleanup_close int root = open ("/", O_PATH | O_CLOEXEC);
      if (root < 0 || wharf_remount_bind (root, MS_RDONLY, err) < 0)
        return root < 0 ? wharf_make_error (err, errno, "open /") : wharf_error_wrap (err, "read-only root");
    }
  if (spec->rootfs_propagation && mount (NULL, "/", NULL, spec->rootfs_propagation, NULL) < 0)
    return wharf_make_error (err, errno, "set rootfsPropagation");
  return 0;
}

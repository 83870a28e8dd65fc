#include "untar/whiteout.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/utils.h"

#define OPAQUE_XATTR "trusted.overlay.opaque"

int
untar_open_dir (const char *dir, int *out, wharf_error_t *err)
{
  cleanup_free char *copy = strdup (dir);
  cleanup_close int fd = open (".", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  char *save = NULL;

  if (copy == NULL)
    return wharf_make_error (err, ENOMEM, "open `%s`", dir);
  if (fd < 0)
    return wharf_make_error (err, errno, "open the layer root");
  for (char *comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      int next = openat (fd, comp, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
      if (next < 0 && errno == ENOENT)
        {
          if (mkdirat (fd, comp, 0755) < 0 && errno != EEXIST)
            return wharf_make_error (err, errno, "mkdir `%s` in `%s`", comp, dir);
          next = openat (fd, comp, O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
        }
      if (next < 0)
        return wharf_make_error (err, errno == ELOOP ? ENOTDIR : errno, "open `%s` in `%s` (not a directory)",
                                 comp, dir);
      close (fd);
      fd = next;
    }
  *out = fd;
  fd = -1;
  return 0;
}

/* Removes whatever `name` is in `dirfd` (an empty directory included). */
static int
remove_existing (int dirfd, const char *name)
{
  if (unlinkat (dirfd, name, 0) == 0)
    return 0;
  if (errno == EISDIR)
    return unlinkat (dirfd, name, AT_REMOVEDIR);
  return -1;
}

int
untar_make_whiteout (const char *parent, const char *name, wharf_error_t *err)
{
  cleanup_close int dirfd = -1;
  struct stat st;

  if (untar_open_dir (parent, &dirfd, err) < 0)
    return wharf_error_wrap (err, "whiteout `%s/%s`", parent, name);
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
        return 0;
      if (remove_existing (dirfd, name) < 0)
        return wharf_make_error (err, errno, "whiteout `%s/%s`: remove the existing entry", parent, name);
    }
  if (mknodat (dirfd, name, S_IFCHR | 0, makedev (0, 0)) < 0)
    return wharf_make_error (err, errno, "whiteout `%s/%s`: mknod", parent, name);
  if (fchownat (dirfd, name, 0, 0, AT_SYMLINK_NOFOLLOW) < 0)
    return wharf_make_error (err, errno, "whiteout `%s/%s`: chown", parent, name);
  return 0;
}

int
untar_make_opaque (const char *dir, wharf_error_t *err)
{
  cleanup_close int dirfd = -1;

  if (untar_open_dir (dir, &dirfd, err) < 0)
    return wharf_error_wrap (err, "opaque directory `%s`", dir);
  if (fsetxattr (dirfd, OPAQUE_XATTR, "y", 1, 0) < 0)
    return wharf_make_error (err, errno, "opaque directory `%s`: set " OPAQUE_XATTR, dir);
  return 0;
}

#include "runtime/resolve.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/utils.h"

const char *
wharf_fd_path (char *buf, int fd)
{
  snprintf (buf, 32, "/proc/self/fd/%d", fd);
  return buf;
}

static int
openat2_in_root (int rootfd, const char *path, int flags)
{
  struct open_how how = { .flags = (uint64_t) (flags | O_PATH | O_CLOEXEC),
                          .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS };
  int fd;
  while (*path == '/')
    path++;
  if (*path == '\0')
    path = ".";
  do
    fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof (how));
  while (fd < 0 && (errno == EINTR || errno == EAGAIN));
  return fd;
}

int
wharf_open_in_root (int rootfd, const char *path, int extra_flags, wharf_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, extra_flags);
  if (fd < 0)
    return wharf_make_error (err, errno, "open `%s` inside the rootfs", path);
  return fd;
}

int
wharf_check_escape (int rootfd, const char *path, wharf_error_t *err)
{
  char rest[PATH_MAX * 2], cur[PATH_MAX] = "", link[PATH_MAX];
  int links = 0;
  bool missing = false;
  if (strlen (path) >= sizeof (rest))
    return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
  strcpy (rest, path);
  while (rest[0] != '\0')
    {
      char comp[NAME_MAX + 1], *slash = strchr (rest, '/');
      size_t clen = slash ? (size_t) (slash - rest) : strlen (rest);
      size_t curlen = strlen (cur);
      ssize_t n;
      if (clen > NAME_MAX)
        return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
      memcpy (comp, rest, clen);
      comp[clen] = '\0';
      memmove (rest, slash ? slash + 1 : rest + clen, strlen (slash ? slash + 1 : rest + clen) + 1);
      if (clen == 0 || strcmp (comp, ".") == 0)
        continue;
      if (strcmp (comp, "..") == 0)
        {
          char *last = strrchr (cur, '/');
          if (curlen == 0)
            return wharf_make_error (err, 0, "path `%s` escapes the rootfs through a symlink or `..`", path);
          if (last)
            *last = '\0';
          else
            cur[0] = '\0';
          continue;
        }
      if (curlen + clen + 2 >= sizeof (cur))
        return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
      if (curlen)
        cur[curlen++] = '/';
      memcpy (cur + curlen, comp, clen + 1);
      if (missing)
        continue;
      n = readlinkat (rootfd, cur, link, sizeof (link) - 1);
      if (n < 0)
        {
          if (errno == ENOENT)
            missing = true;
          else if (errno != EINVAL && errno != ENOTDIR)
            return wharf_make_error (err, errno, "readlink `%s` inside the rootfs", cur);
          continue;
        }
      if (++links > 40)
        return wharf_make_error (err, ELOOP, "path `%s`", path);
      link[n] = '\0';
      /* Drop the link itself from cur, then splice its target into rest. */
      {
        char *last = strrchr (cur, '/');
        if (last)
          *last = '\0';
        else
          cur[0] = '\0';
      }
      if (link[0] == '/')
        cur[0] = '\0';
      if ((size_t) n + strlen (rest) + 2 >= sizeof (rest))
        return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
      memmove (rest + n + 1, rest, strlen (rest) + 1);
      memcpy (rest, link, (size_t) n);
      rest[n] = '/';
    }
  return 0;
}

static int mkpath (int rootfd, const char *path, bool as_file, int depth, wharf_error_t *err);

/* parent/name is a symlink whose target does not exist yet: create the
 * target, inside the root, as a directory. */
static int
mkpath_link_target (int rootfd, int parent, const char *name, const char *prefix, int depth, wharf_error_t *err)
{
  char link[PATH_MAX], target[PATH_MAX * 2];
  ssize_t n = readlinkat (parent, name, link, sizeof (link) - 1);
  int fd;
  if (n < 0)
    return wharf_make_error (err, errno, "open `%s` inside the rootfs", prefix);
  link[n] = '\0';
  if (link[0] == '/')
    snprintf (target, sizeof (target), "%s", link);
  else
    {
      const char *slash = strrchr (prefix, '/');
      snprintf (target, sizeof (target), "%.*s/%s", slash ? (int) (slash - prefix) : 0, prefix, link);
    }
  fd = mkpath (rootfd, target, false, depth + 1, err);
  if (fd < 0)
    return -1;
  close (fd);
  return 0;
}

int
wharf_mkpath_in_root (int rootfd, const char *path, bool as_file, wharf_error_t *err)
{
  return mkpath (rootfd, path, as_file, 0, err);
}

static int
mkpath (int rootfd, const char *path, bool as_file, int depth, wharf_error_t *err)
{
  char prefix[PATH_MAX];
  size_t len = strlen (path), i = 0;
  cleanup_close int parent = -1;
  int fd = openat2_in_root (rootfd, path, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return wharf_make_error (err, errno, "open `%s` inside the rootfs", path);
  if (len >= sizeof (prefix))
    return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
  parent = openat2_in_root (rootfd, "/", 0);
  if (parent < 0)
    return wharf_make_error (err, errno, "open the rootfs");
  while (i < len)
    {
      size_t start, end;
      char name[NAME_MAX + 1];
      bool last;
      int next;
      while (i < len && path[i] == '/')
        i++;
      start = i;
      while (i < len && path[i] != '/')
        i++;
      end = i;
      if (end == start)
        break;
      if (end - start > NAME_MAX)
        return wharf_make_error (err, ENAMETOOLONG, "path `%s`", path);
      memcpy (name, path + start, end - start);
      name[end - start] = '\0';
      memcpy (prefix, path, end);
      prefix[end] = '\0';
      while (i < len && path[i] == '/')
        i++;
      last = i >= len;
      next = openat2_in_root (rootfd, prefix, 0);
      if (next < 0 && errno == ENOENT)
        {
          if (last && as_file)
            {
              int f = openat (parent, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, 0644);
              if (f < 0 && errno != EEXIST)
                return wharf_make_error (err, errno, "create `%s` inside the rootfs", prefix);
              if (f >= 0)
                close (f);
            }
          else if (mkdirat (parent, name, 0755) < 0 && errno != EEXIST)
            return wharf_make_error (err, errno, "mkdir `%s` inside the rootfs", prefix);
          next = openat2_in_root (rootfd, prefix, 0);
          if (next < 0 && errno == ENOENT)
            {
              if (depth >= 40)
                return wharf_make_error (err, ELOOP, "path `%s`", path);
              if (mkpath_link_target (rootfd, parent, name, prefix, depth, err) < 0)
                return -1;
              next = openat2_in_root (rootfd, prefix, 0);
            }
        }
      if (next < 0)
        return wharf_make_error (err, errno, "open `%s` inside the rootfs", prefix);
      close (parent);
      parent = next;
    }
  fd = parent;
  parent = -1;
  return fd;
}

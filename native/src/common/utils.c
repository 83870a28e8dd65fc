#include "common/utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
  *pp = NULL;
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
  *fd = -1;
}

void
cleanup_pidp (pid_t *pid)
{
  if (*pid > 0)
    {
      int saved = errno;
      kill (*pid, SIGKILL);
      while (waitpid (*pid, NULL, 0) < 0 && errno == EINTR)
        ;
      errno = saved;
    }
  *pid = 0;
}

/* Moves len bytes with read(2) or write(2), retrying on EINTR and short
 * transfers; stops early at EOF (or a write that moves nothing). */
static ssize_t
transfer_all (int fd, char *p, size_t len, bool writing)
{
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = writing ? write (fd, p + done, len - done) : read (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      done += (size_t) r;
    }
  return (ssize_t) done;
}

ssize_t
wharf_write_all (int fd, const void *buf, size_t len)
{
  /* write(2) does not modify the buffer. */
  return transfer_all (fd, (char *) buf, len, true);
}

ssize_t
wharf_read_all (int fd, void *buf, size_t len)
{
  return transfer_all (fd, buf, len, false);
}

int
wharf_read_file_at (int dirfd, const char *path, char **out, size_t *len, wharf_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  size_t cap = 4096, used = 0;
  char *buf;
  if (fd < 0)
    return wharf_make_error (err, errno, "open `%s`", path);
  buf = malloc (cap + 1);
  if (buf == NULL)
    return wharf_make_error (err, ENOMEM, "read `%s`", path);
  for (;;)
    {
      ssize_t r;
      if (used == cap)
        {
          char *n = realloc (buf, cap * 2 + 1);
          if (n == NULL)
            {
              free (buf);
              return wharf_make_error (err, ENOMEM, "read `%s`", path);
            }
          buf = n;
          cap *= 2;
        }
      r = read (fd, buf + used, cap - used);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          return wharf_make_error (err, e, "read `%s`", path);
        }
      if (r == 0)
        break;
      used += (size_t) r;
    }
  buf[used] = '\0';
  *out = buf;
  if (len)
    *len = used;
  return 0;
}

int
wharf_write_file_at (int dirfd, const char *path, const void *data, size_t len, wharf_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return wharf_make_error (err, errno, "open `%s`", path);
  if (wharf_write_all (fd, data, len) < 0)
    return wharf_make_error (err, errno, "write `%s`", path);
  return 0;
}

int
wharf_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, wharf_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  if (asprintf (&tmp, "%s.tmp-%d", path, (int) getpid ()) < 0)
    return wharf_make_error (err, ENOMEM, "write `%s`", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return wharf_make_error (err, errno, "create `%s`", tmp);
  if (wharf_write_all (fd, data, len) < 0)
    {
      int e = errno;
      unlink (tmp);
      return wharf_make_error (err, e, "write `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int e = errno;
      unlink (tmp);
      return wharf_make_error (err, e, "rename `%s`", path);
    }
  return 0;
}

int
wharf_mkdir_all (const char *path, mode_t mode, wharf_error_t *err)
{
  char buf[PATH_MAX];
  size_t n = strlen (path);
  if (n == 0 || n >= sizeof (buf))
    return wharf_make_error (err, ENAMETOOLONG, "mkdir `%s`", path);
  memcpy (buf, path, n + 1);
  for (char *p = buf + 1; *p; p++)
    {
      if (*p != '/')
        continue;
      *p = '\0';
      if (mkdir (buf, mode) < 0 && errno != EEXIST)
        return wharf_make_error (err, errno, "mkdir `%s`", buf);
      *p = '/';
    }
  if (mkdir (buf, mode) < 0 && errno != EEXIST)
    return wharf_make_error (err, errno, "mkdir `%s`", buf);
  return 0;
}

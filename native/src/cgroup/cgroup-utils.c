/* File helpers for the cgroup drivers: join paths, read/write one cgroup
 * file, parse flat-keyed files and cgroup.procs, mkdir -p, rmdir with retry. */
#include "cgroup/cgroup-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"

char *
wharf_cgroup_join (const char *a, const char *b)
{
  char *out = NULL;
  size_t la = strlen (a);
  while (la > 1 && a[la - 1] == '/')
    la--;
  while (*b == '/')
    b++;
  if (*b == '\0')
    return strndup (a, la);
  if (asprintf (&out, "%.*s/%s", (int) la, a, b) < 0)
    return NULL;
  return out;
}

int
wharf_cgroup_mkdirs (const char *root, const char *path, wharf_cgroup_level_fn before,
                     wharf_cgroup_level_fn after, char **dir_out, wharf_error_t *err)
{
  cleanup_free char *cur = strdup (root);
  cleanup_free char *copy = strdup (path);
  char *comp, *save = NULL;
  if (cur == NULL || copy == NULL)
    return wharf_make_error (err, ENOMEM, "create cgroup");
  for (comp = strtok_r (copy, "/", &save); comp; comp = strtok_r (NULL, "/", &save))
    {
      cleanup_free char *next = wharf_cgroup_join (cur, comp);
      if (next == NULL)
        return wharf_make_error (err, ENOMEM, "create cgroup");
      if (before && before (next, cur, err) < 0)
        return -1;
      if (mkdir (next, 0755) < 0 && errno != EEXIST)
        return wharf_make_error (err, errno, "mkdir `%s`", next);
      if (after && after (next, cur, err) < 0)
        return -1;
      free (cur);
      cur = next;
      next = NULL;
    }
  if (dir_out)
    {
      *dir_out = cur;
      cur = NULL;
    }
  return 0;
}

bool
wharf_cgroup_file_exists (const char *dir, const char *file)
{
  cleanup_free char *p = wharf_cgroup_join (dir, file);
  return p != NULL && access (p, F_OK) == 0;
}

int
wharf_cgroup_write (const char *dir, const char *file, const char *value, wharf_error_t *err)
{
  cleanup_free char *p = wharf_cgroup_join (dir, file);
  cleanup_close int fd = -1;
  size_t len = strlen (value);
  ssize_t r;
  if (p == NULL)
    return wharf_make_error (err, ENOMEM, "write `%s`", file);
  fd = open (p, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return wharf_make_error (err, errno, "open `%s`", p);
  do
    r = write (fd, value, len);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return wharf_make_error (err, errno, "write `%s` to `%s`", value, p);
  if ((size_t) r != len)
    return wharf_make_error (err, EIO, "short write of `%s` to `%s`", value, p);
  return 0;
}

int
wharf_cgroup_writef (const char *dir, const char *file, wharf_error_t *err, const char *fmt, ...)
{
  cleanup_free char *value = NULL;
  va_list ap;
  int r;
  va_start (ap, fmt);
  r = vasprintf (&value, fmt, ap);
  va_end (ap);
  if (r < 0)
    return wharf_make_error (err, ENOMEM, "write `%s`", file);
  return wharf_cgroup_write (dir, file, value, err);
}

int
wharf_cgroup_read (const char *dir, const char *file, char **out, wharf_error_t *err)
{
  cleanup_free char *p = wharf_cgroup_join (dir, file);
  char *buf = NULL;
  size_t len = 0;
  if (p == NULL)
    return wharf_make_error (err, ENOMEM, "read `%s`", file);
  if (wharf_read_file_at (AT_FDCWD, p, &buf, &len, err) < 0)
    return -1;
  while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' ' || buf[len - 1] == '\t'))
    buf[--len] = '\0';
  *out = buf;
  return 0;
}

int
wharf_cgroup_read_key (const char *dir, const char *file, const char *key, uint64_t *value,
                       wharf_error_t *err)
{
  cleanup_free char *buf = NULL;
  size_t klen = strlen (key);
  char *line, *save = NULL;
  *value = 0;
  if (wharf_cgroup_read (dir, file, &buf, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      if (strncmp (line, key, klen) == 0 && line[klen] == ' ')
        {
          *value = strtoull (line + klen + 1, NULL, 10);
          return 0;
        }
    }
  return 0;
}

int
wharf_cgroup_read_procs (const char *dir, pid_t **pids, size_t *n, wharf_error_t *err)
{
  cleanup_free char *buf = NULL;
  cleanup_free pid_t *out = NULL;
  size_t count = 0, cap = 0;
  char *line, *save = NULL;
  if (wharf_cgroup_read (dir, "cgroup.procs", &buf, err) < 0)
    return -1;
  for (line = strtok_r (buf, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      long v = strtol (line, NULL, 10);
      if (v <= 0)
        continue;
      if (count == cap)
        {
          pid_t *g;
          cap = cap ? cap * 2 : 16;
          g = realloc (out, cap * sizeof (*out));
          if (g == NULL)
            return wharf_make_error (err, ENOMEM, "read cgroup.procs");
          out = g;
        }
      out[count++] = (pid_t) v;
    }
  *pids = out;
  out = NULL;
  *n = count;
  return 0;
}

void
wharf_cgroup_sleep_ms (unsigned ms)
{
  struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long) (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

int
wharf_cgroup_rmdir (const char *dir, wharf_error_t *err)
{
  for (int i = 0;; i++)
    {
      if (rmdir (dir) == 0 || errno == ENOENT)
        return 0;
      if (errno != EBUSY || i >= 100)
        return wharf_make_error (err, errno, "rmdir `%s`", dir);
      wharf_cgroup_sleep_ms (10);
    }
}

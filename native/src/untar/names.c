#include "untar/names.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define WH_PREFIX ".wh."
#define WH_META_PREFIX ".wh..wh."
#define WH_OPAQUE ".wh..wh..opq"

int
untar_normalize_name (const char *name, const struct untar_limits *lim, char **out, wharf_error_t *err)
{
  size_t n = strlen (name), depth = 0, used = 0;
  const char *p = name;
  char *buf;

  if (name[0] == '/')
    return wharf_make_error (err, 0, "member `%s`: absolute names are not allowed in a layer", name);
  if (n > lim->max_path)
    return wharf_make_error (err, 0, "member `%.64s...`: name longer than %zu bytes", name, lim->max_path);

  buf = malloc (n + 1);
  if (buf == NULL)
    return wharf_make_error (err, ENOMEM, "member `%s`", name);

  while (*p)
    {
      const char *end = strchr (p, '/');
      size_t len = end ? (size_t) (end - p) : strlen (p);

      if (len == 2 && p[0] == '.' && p[1] == '.')
        {
          free (buf);
          return wharf_make_error (err, 0, "member `%s`: `..` components are not allowed in a layer", name);
        }
      if (len > 0 && !(len == 1 && p[0] == '.'))
        {
          if (++depth > lim->max_depth)
            {
              free (buf);
              return wharf_make_error (err, 0, "member `%.64s...`: deeper than %zu directories", name,
                                       lim->max_depth);
            }
          if (used > 0)
            buf[used++] = '/';
          memcpy (buf + used, p, len);
          used += len;
        }
      p += len;
      if (*p == '/')
        p++;
    }
  buf[used] = '\0';
  *out = buf;
  return 0;
}

size_t
untar_basename_offset (const char *norm)
{
  const char *slash = strrchr (norm, '/');
  return slash ? (size_t) (slash - norm) + 1 : 0;
}

int
untar_classify_whiteout (const char *norm, enum untar_whiteout_kind *kind, const char **hidden, wharf_error_t *err)
{
  size_t base = untar_basename_offset (norm);
  const char *name = norm + base;
  const char *p = norm;

  *kind = UNTAR_NOT_WHITEOUT;
  *hidden = NULL;

  /* AUFS metadata (.wh..wh.plnk, .wh..wh.aufs, ...) at the top: skipped whole. */
  if (strncmp (norm, WH_META_PREFIX, strlen (WH_META_PREFIX)) == 0 && strcmp (norm, WH_OPAQUE) != 0)
    {
      *kind = UNTAR_WHITEOUT_META;
      return 0;
    }

  /* No member may live below a whiteout name. */
  while (p < name)
    {
      if (strncmp (p, WH_PREFIX, strlen (WH_PREFIX)) == 0)
        return wharf_make_error (err, 0, "member `%s`: a whiteout name (`.wh.`) used as a directory", norm);
      p = strchr (p, '/') + 1;
    }

  if (strncmp (name, WH_PREFIX, strlen (WH_PREFIX)) != 0)
    return 0;
  if (strcmp (name, WH_OPAQUE) == 0)
    {
      *kind = UNTAR_WHITEOUT_OPAQUE;
      return 0;
    }
  name += strlen (WH_PREFIX);
  if (name[0] == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0
      || strncmp (name, WH_PREFIX, strlen (WH_PREFIX)) == 0)
    return wharf_make_error (err, 0, "member `%s`: invalid whiteout name", norm);
  *kind = UNTAR_WHITEOUT;
  *hidden = name;
  return 0;
}

/* Member-name policy for layer tars (pure string logic, no filesystem).
 *
 * Layer tars are hostile input (../shared/reference/runtime-and-security.md,
 * "Layer tars"). Every member name and hard-link target is normalised here
 * before libarchive sees it: "./" and empty components are dropped, and an
 * absolute name ("/etc/x", "//etc/x") or a ".." component is refused, so a
 * name can only ever address something below the layer root. Whiteout names
 * (".wh.NAME", ".wh..wh..opq") are classified here too. */
#ifndef WHARF_UNTAR_NAMES_H
#define WHARF_UNTAR_NAMES_H

#include <stddef.h>

#include "common/error.h"

struct untar_limits
{
  size_t max_path;  /* bytes of a normalised name */
  size_t max_depth; /* components of a normalised name */
};

/* Normalises `name` into a malloc'd *out ("" for the layer root). Fails with
 * a message naming the member for absolute names, "..", or names over the
 * limits. */
int untar_normalize_name (const char *name, const struct untar_limits *lim, char **out, wharf_error_t *err);

enum untar_whiteout_kind
{
  UNTAR_NOT_WHITEOUT = 0,
  UNTAR_WHITEOUT,        /* dir/.wh.NAME: hide NAME of lower layers */
  UNTAR_WHITEOUT_OPAQUE, /* dir/.wh..wh..opq: hide all of dir in lower layers */
  UNTAR_WHITEOUT_META,   /* .wh..wh.* at the top (AUFS metadata): skipped, as Docker does */
};

/* Classifies a normalised name. For UNTAR_WHITEOUT, *hidden points at NAME
 * inside `norm`. Bogus whiteouts (".wh.", ".wh..", ".wh...", a member below a
 * whiteout name) fail. */
int untar_classify_whiteout (const char *norm, enum untar_whiteout_kind *kind, const char **hidden,
                             wharf_error_t *err);

/* Offset of the last component of a normalised name (0 when there is no '/'). */
size_t untar_basename_offset (const char *norm);

#endif

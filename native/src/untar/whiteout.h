/* Whiteouts in the overlay format (DESIGN.md, "Kernel facts"): ".wh.NAME"
 * becomes a 0/0 character device NAME, ".wh..wh..opq" sets
 * trusted.overlay.opaque="y" on its directory.
 *
 * Directories are walked from the root one component at a time with
 * O_NOFOLLOW, and the node is made with mknodat on the parent's fd, so a
 * whiteout below a symlink never lands where the symlink points and a
 * whiteout of a symlink replaces the link, not its target. */
#ifndef WHARF_UNTAR_WHITEOUT_H
#define WHARF_UNTAR_WHITEOUT_H

#include "common/error.h"

/* Opens the directory `dir` (normalised, "" = root) below the cwd, creating
 * missing components with mode 0755; fails on a symlink or non-directory. */
int untar_open_dir (const char *dir, int *out, wharf_error_t *err);

/* `parent` normalised ("" = root), `name` one component. */
int untar_make_whiteout (const char *parent, const char *name, wharf_error_t *err);
int untar_make_opaque (const char *dir, wharf_error_t *err);

#endif

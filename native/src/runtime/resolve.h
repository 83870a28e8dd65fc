/* Path resolution inside the container's rootfs. Every name is resolved
 * with openat2(RESOLVE_IN_ROOT) from a dirfd of the rootfs, so a symlink in
 * the (hostile) image can never lead outside it; callers then mount onto
 * the returned O_PATH fd through /proc/self/fd/N. */
#ifndef WHARF_RUNTIME_RESOLVE_H
#define WHARF_RUNTIME_RESOLVE_H

#include <stdbool.h>

#include "common/error.h"

/* O_PATH fd of path (relative to rootfd's directory, "/" = rootfd). */
int wharf_open_in_root (int rootfd, const char *path, int extra_flags, wharf_error_t *err);

/* Refuses a path that, followed the way the image's symlinks say, would
 * climb above the root with "..": such a target is an escape attempt even
 * though RESOLVE_IN_ROOT would contain it. Absolute symlinks are fine:
 * inside a container they are relative to its root. */
int wharf_check_escape (int rootfd, const char *path, wharf_error_t *err);

/* Creates the missing components of path (directories; the last one a
 * regular file when as_file) inside the root and returns an O_PATH fd. */
int wharf_mkpath_in_root (int rootfd, const char *path, bool as_file, wharf_error_t *err);

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
const char *wharf_fd_path (char *buf, int fd);

#endif

/* Small helpers shared by wharf-runtime and wharf-shim: cleanup attributes
 * for owned resources (hand off ownership by resetting to -1 / NULL), and
 * whole-file read/write with EINTR handling. */
#ifndef WHARF_UTILS_H
#define WHARF_UTILS_H

#include <stddef.h>
#include <sys/types.h>

#include "common/error.h"

#define UNLIKELY(x) __builtin_expect (!!(x), 0)
#define LIKELY(x) __builtin_expect (!!(x), 1)

void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_pidp (pid_t *pid); /* SIGKILL and reap when still > 0 */

#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_pid __attribute__ ((cleanup (cleanup_pidp)))

/* Reads a whole file (NUL-terminated). dirfd may be AT_FDCWD. */
int wharf_read_file_at (int dirfd, const char *path, char **out, size_t *len, wharf_error_t *err);
/* Writes data to an existing file (O_WRONLY|O_TRUNC), as cgroup files need. */
int wharf_write_file_at (int dirfd, const char *path, const void *data, size_t len, wharf_error_t *err);
/* Writes to a temp file beside path and renames it over path: readers see the
   old or the new content, never a torn one. No fsync: every caller writes
   volatile state (pid files, exit.json in the exec root) that a reboot voids
   anyway, and a crashed process loses nothing from the page cache. */
int wharf_write_file_atomic (const char *path, const void *data, size_t len, mode_t mode, wharf_error_t *err);

ssize_t wharf_write_all (int fd, const void *buf, size_t len);
ssize_t wharf_read_all (int fd, void *buf, size_t len);

/* mkdir -p with the given mode for created components. */
int wharf_mkdir_all (const char *path, mode_t mode, wharf_error_t *err);

#endif

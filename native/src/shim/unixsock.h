/* A listening SOCK_STREAM unix socket at a path. Paths must fit sun_path
 * (107 bytes); the shim binds names relative to its state dir, its cwd. */
#ifndef WHARF_SHIM_UNIXSOCK_H
#define WHARF_SHIM_UNIXSOCK_H

#include "common/error.h"

/* Removes a stale socket at path, binds, listens. Non-blocking, cloexec. */
int unix_listen (const char *path, int backlog, wharf_error_t *err);

#endif

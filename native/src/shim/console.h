/* The console socket: with --terminal the runtime creates the container's
 * pty and sends the master over a unix socket (SCM_RIGHTS), as runc's
 * --console-socket does. The shim listens before running the runtime; the
 * runtime connects and sends before it exits, so the connection is
 * already queued when the shim accepts (conmon's src/cmsg.c). */
#ifndef WHARF_SHIM_CONSOLE_H
#define WHARF_SHIM_CONSOLE_H

#include "common/error.h"

/* Binds and listens on path (relative to the cwd is fine). Returns the fd. */
int console_socket_listen (const char *path, wharf_error_t *err);

/* Accepts the runtime's connection and returns the received fd, made
 * non-blocking and close-on-exec. */
int console_socket_receive (int listen_fd, wharf_error_t *err);

#endif

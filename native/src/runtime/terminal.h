/* process.terminal: the console-socket protocol runc uses. The container
 * side opens a pty inside the container's /dev, sends the master over the
 * unix socket with SCM_RIGHTS and makes the slave its controlling tty and
 * stdio. */
#ifndef WHARF_RUNTIME_TERMINAL_H
#define WHARF_RUNTIME_TERMINAL_H

#include "common/error.h"

/* Connects to the console socket at path (done by the runtime, before
 * entering the container, so the path resolves on the host). */
int wharf_console_connect (const char *path, wharf_error_t *err);

/* In the container: pty setup as described above; closes console_fd. */
int wharf_terminal_setup (int console_fd, unsigned short rows, unsigned short cols, wharf_error_t *err);

#endif

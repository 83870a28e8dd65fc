/* Running the OCI runtime (runc's command line) to create the container or
 * an exec process:
 *
 *   RUNTIME --root R create --bundle B --pid-file P [--console-socket S] ID
 *   RUNTIME --root R exec --detach --process F --pid-file P [--console-socket S] ID
 *
 * The runtime's stdio are the container's (runc passes them through in
 * detached mode), so the runtime's error message arrives on the container's
 * stderr pipe; with a terminal it gets its own stderr pipe. */
#ifndef WHARF_SHIM_SPAWN_H
#define WHARF_SHIM_SPAWN_H

#include <stddef.h>

#include "common/error.h"
#include "shim/options.h"

struct runtime_stdio
{
  int in, out, err;        /* become the runtime's 0, 1, 2 */
  const char *oom_score_adj; /* restored in the runtime (the shim's is -1000); may be "" */
};

/* Runs the runtime and waits for it. Returns 0 when it exited 0. On
 * failure the message names the exit status; the caller adds the
 * runtime's own words (runtime_error_text). */
int runtime_run (const struct shim_options *o, const char *pid_file, const char *console_socket,
                 const struct runtime_stdio *io, wharf_error_t *err);

/* The last non-empty line readable now from fd (non-blocking), into buf. */
void runtime_error_text (int fd, char *buf, size_t len);

#endif

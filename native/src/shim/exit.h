/* exit.json: how the container (or exec process) ended, written atomically
 * (temp file, fsync, rename) into the state dir once it has exited and its
 * output is drained:
 *
 *   {"exitCode":N,"signal":S|null,"oomKilled":bool,"finishedAt":"RFC3339Nano"}
 *
 * exitCode is 128+signal when a signal killed it (the shell's and Docker's
 * convention). */
#ifndef WHARF_SHIM_EXIT_H
#define WHARF_SHIM_EXIT_H

#include <stdbool.h>
#include <time.h>

#include "common/error.h"

int exit_file_write (const char *path, int wait_status, bool oom_killed, const struct timespec *finished,
                     wharf_error_t *err);

#endif

/* CVE-2019-5736: a container process that gets to run our binary (through
 * /proc/self/exe as its interpreter, or by opening /proc/<pid>/exe of a
 * runtime process that joined it) must not be able to overwrite the host
 * file. Verbs that enter containers re-exec from a sealed memfd copy, so
 * /proc/self/exe names a write-sealed anonymous file. */
#ifndef WHARF_RUNTIME_CLONED_BINARY_H
#define WHARF_RUNTIME_CLONED_BINARY_H

#include "common/error.h"

/* Returns 0 when already running from the sealed copy; otherwise execs it
 * (returns only on failure). */
int wharf_ensure_cloned_binary (char **argv, wharf_error_t *err);

#endif

/* OCI hooks: each runs with the container state JSON on its stdin and is
 * killed after its timeout. */
#ifndef WHARF_RUNTIME_HOOKS_H
#define WHARF_RUNTIME_HOOKS_H

#include "common/error.h"
#include "runtime/spec.h"

int wharf_hooks_run (const struct wharf_hook_list *list, const char *kind, const char *state_json, wharf_error_t *err);

#endif

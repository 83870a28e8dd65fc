/* linux.seccomp compiled with libseccomp. Compiling happens at create time
 * (so a bad profile fails `create`), loading right before execve. */
#ifndef WHARF_RUNTIME_SECCOMP_H
#define WHARF_RUNTIME_SECCOMP_H

#include "common/error.h"

struct cJSON;

/* *out is a scmp_filter_ctx, or NULL when json is NULL. */
int wharf_seccomp_compile (const struct cJSON *json, void **out, wharf_error_t *err);
int wharf_seccomp_load (void *ctx, wharf_error_t *err);

#endif

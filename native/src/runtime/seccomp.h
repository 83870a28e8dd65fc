/* linux.seccomp: compiled to a BPF program with libseccomp at create (so a
 * bad profile fails `create`) or exec time, before the clone; loaded right
 * before execve with the seccomp(2) syscall. Compiled programs are cached
 * (seccomp_cache.h): libseccomp needs several ms for Docker's profile. */
#ifndef WHARF_RUNTIME_SECCOMP_H
#define WHARF_RUNTIME_SECCOMP_H

#include <linux/filter.h>
#include <stddef.h>

#include "common/error.h"

struct cJSON;

struct wharf_seccomp_prog
{
  unsigned short len; /* instructions */
  struct sock_filter filter[];
};

/* An uninitialised program of `bytes` bytes (a whole number of
 * instructions, at most BPF_MAXINSNS); NULL with *err set otherwise. */
struct wharf_seccomp_prog *wharf_seccomp_prog_new (size_t bytes, wharf_error_t *err);
void wharf_seccomp_prog_free (struct wharf_seccomp_prog *prog);

/* *out is NULL when json is NULL. cache_dir may be NULL (no cache). */
int wharf_seccomp_compile (const struct cJSON *json, const char *cache_dir, struct wharf_seccomp_prog **out,
                           wharf_error_t *err);
int wharf_seccomp_load (const struct wharf_seccomp_prog *prog, wharf_error_t *err);

#endif

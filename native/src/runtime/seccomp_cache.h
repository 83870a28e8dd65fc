/* A cache of compiled seccomp programs, one file per profile under
 * <runtime root>/seccomp/. The key is a SHA-256 of the profile's JSON, the
 * libseccomp version, the kernel release and the machine: everything the
 * generated BPF depends on. Cache failures are never errors: the caller
 * compiles instead. */
#ifndef WHARF_RUNTIME_SECCOMP_CACHE_H
#define WHARF_RUNTIME_SECCOMP_CACHE_H

struct cJSON;
struct wharf_seccomp_prog;

/* Hex key, malloc'd; NULL on allocation failure. */
char *wharf_seccomp_cache_key (const struct cJSON *profile);

/* 0 and *out set on a hit, -1 on a miss or an unusable entry. */
int wharf_seccomp_cache_get (const char *dir, const char *key, struct wharf_seccomp_prog **out);

/* Best effort, atomic (temp file + rename). */
void wharf_seccomp_cache_put (const char *dir, const char *key, const struct wharf_seccomp_prog *prog);

#endif

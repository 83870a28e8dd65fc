#include "runtime/seccomp.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/seccomp_cache.h"

static int
parse_action (const char *name, const cJSON *errno_ret, uint32_t default_errno, uint32_t *out, wharf_error_t *err)
{
  uint32_t e = cJSON_IsNumber (errno_ret) ? (uint32_t) errno_ret->valuedouble : default_errno;
  if (name == NULL)
    return wharf_make_error (err, 0, "seccomp: action missing");
  if (strcmp (name, "SCMP_ACT_ALLOW") == 0)
    *out = SCMP_ACT_ALLOW;
  else if (strcmp (name, "SCMP_ACT_ERRNO") == 0)
    *out = SCMP_ACT_ERRNO (e);
  else if (strcmp (name, "SCMP_ACT_KILL") == 0 || strcmp (name, "SCMP_ACT_KILL_THREAD") == 0)
    *out = SCMP_ACT_KILL_THREAD;
  else if (strcmp (name, "SCMP_ACT_KILL_PROCESS") == 0)
    *out = SCMP_ACT_KILL_PROCESS;
  else if (strcmp (name, "SCMP_ACT_TRAP") == 0)
    *out = SCMP_ACT_TRAP;
  else if (strcmp (name, "SCMP_ACT_TRACE") == 0)
    *out = SCMP_ACT_TRACE (e);
  else if (strcmp (name, "SCMP_ACT_LOG") == 0)
    *out = SCMP_ACT_LOG;
  else
    return wharf_make_error (err, 0, "seccomp: unsupported action `%s`", name);
  return 0;
}

static int
parse_op (const char *name, enum scmp_compare *op)
{
  static const struct
  {
    const char *name;
    enum scmp_compare op;
  } t[] = { { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT }, { "SCMP_CMP_LE", SCMP_CMP_LE },
            { "SCMP_CMP_EQ", SCMP_CMP_EQ }, { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
            { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ } };
  for (size_t i = 0; name && i < sizeof (t) / sizeof (t[0]); i++)
    if (strcmp (name, t[i].name) == 0)
      {
        *op = t[i].op;
        return 0;
      }
  return -1;
}

static uint64_t
num (const cJSON *v)
{
  return cJSON_IsNumber (v) ? (uint64_t) v->valuedouble : 0;
}

static int
add_rule (scmp_filter_ctx ctx, uint32_t action, int nr, const cJSON *args, const char *name, wharf_error_t *err)
{
  struct scmp_arg_cmp cmps[6];
  unsigned n = 0, seen = 0;
  bool same_index = false;
  const cJSON *a;
  int r;
  cJSON_ArrayForEach (a, args)
  {
    enum scmp_compare op;
    unsigned idx = (unsigned) num (cJSON_GetObjectItemCaseSensitive (a, "index"));
    const cJSON *opj = cJSON_GetObjectItemCaseSensitive (a, "op");
    if (n >= 6 || idx > 5 || parse_op (cJSON_IsString (opj) ? opj->valuestring : NULL, &op) < 0)
      return wharf_make_error (err, 0, "seccomp: bad args for `%s`", name);
    if (seen & (1u << idx))
      same_index = true;
    seen |= 1u << idx;
    cmps[n++] = (struct scmp_arg_cmp){ idx, op, num (cJSON_GetObjectItemCaseSensitive (a, "value")),
                                       num (cJSON_GetObjectItemCaseSensitive (a, "valueTwo")) };
  }
  if (same_index)
    {
      /* Several conditions on one argument mean "any of them" (as in
         runc): one rule each. */
      for (unsigned i = 0; i < n; i++)
        if ((r = seccomp_rule_add_exact_array (ctx, action, nr, 1, &cmps[i])) < 0
            && (r = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[i])) < 0)
          return wharf_make_error (err, -r, "seccomp: add rule for `%s`", name);
      return 0;
    }
  r = seccomp_rule_add_array (ctx, action, nr, n, cmps);
  if (r < 0)
    return wharf_make_error (err, -r, "seccomp: add rule for `%s`", name);
  return 0;
}

static int
add_arches (scmp_filter_ctx ctx, const cJSON *arr, wharf_error_t *err)
{
  const cJSON *it;
  cJSON_ArrayForEach (it, arr)
  {
    char name[64];
    const char *s;
    size_t i;
    uint32_t arch;
    int r;
    if (!cJSON_IsString (it))
      return wharf_make_error (err, 0, "seccomp: architectures must be strings");
    s = it->valuestring;
    if (strncmp (s, "SCMP_ARCH_", 10) == 0)
      s += 10;
    for (i = 0; s[i] && i < sizeof (name) - 1; i++)
      name[i] = (char) tolower ((unsigned char) s[i]);
    name[i] = '\0';
    arch = seccomp_arch_resolve_name (name);
    if (arch == 0)
      return wharf_make_error (err, 0, "seccomp: unknown architecture `%s`", it->valuestring);
    r = seccomp_arch_add (ctx, arch);
    if (r < 0 && r != -EEXIST)
      return wharf_make_error (err, -r, "seccomp: add architecture `%s`", it->valuestring);
  }
  return 0;
}

/* The filter as libseccomp builds it from the profile. */
static int
build_filter (const cJSON *json, scmp_filter_ctx *out, wharf_error_t *err)
{
  const cJSON *syscalls, *it;
  uint32_t def_action, def_errno;
  scmp_filter_ctx ctx;
  const cJSON *da = cJSON_GetObjectItemCaseSensitive (json, "defaultAction");
  def_errno = cJSON_IsNumber (cJSON_GetObjectItemCaseSensitive (json, "defaultErrnoRet"))
                  ? (uint32_t) cJSON_GetObjectItemCaseSensitive (json, "defaultErrnoRet")->valuedouble
                  : EPERM;
  if (parse_action (cJSON_IsString (da) ? da->valuestring : NULL, NULL, def_errno, &def_action, err) < 0)
    return wharf_error_wrap (err, "seccomp defaultAction");
  ctx = seccomp_init (def_action);
  if (ctx == NULL)
    return wharf_make_error (err, ENOMEM, "seccomp_init");
  /* We set no_new_privs ourselves, only when the config asks for it. */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_NNP, 0);
  if (add_arches (ctx, cJSON_GetObjectItemCaseSensitive (json, "architectures"), err) < 0)
    goto fail;
  syscalls = cJSON_GetObjectItemCaseSensitive (json, "syscalls");
  cJSON_ArrayForEach (it, syscalls)
  {
    const cJSON *names = cJSON_GetObjectItemCaseSensitive (it, "names"), *n;
    const cJSON *act = cJSON_GetObjectItemCaseSensitive (it, "action");
    const cJSON *args = cJSON_GetObjectItemCaseSensitive (it, "args");
    uint32_t action;
    if (parse_action (cJSON_IsString (act) ? act->valuestring : NULL, cJSON_GetObjectItemCaseSensitive (it, "errnoRet"),
                      EPERM, &action, err) < 0)
      goto fail;
    if (action == def_action)
      continue;
    cJSON_ArrayForEach (n, names)
    {
      int nr;
      if (!cJSON_IsString (n))
        continue;
      nr = seccomp_syscall_resolve_name (n->valuestring);
      if (nr == __NR_SCMP_ERROR)
        continue; /* unknown on this kernel/arch: ignored, as runc does */
      if (add_rule (ctx, action, nr, args, n->valuestring, err) < 0)
        goto fail;
    }
  }
  *out = ctx;
  return 0;
fail:
  seccomp_release (ctx);
  return -1;
}

/* libseccomp's BPF for the profile, read back from a memfd. */
static int
export_bpf (const cJSON *json, struct wharf_seccomp_prog **out, wharf_error_t *err)
{
  scmp_filter_ctx ctx = NULL;
  cleanup_close int fd = -1;
  struct stat sb;
  struct wharf_seccomp_prog *prog;
  int r;
  if (build_filter (json, &ctx, err) < 0)
    return -1;
  fd = memfd_create ("wharf-seccomp", MFD_CLOEXEC);
  if (fd < 0)
    {
      seccomp_release (ctx);
      return wharf_make_error (err, errno, "memfd_create");
    }
  r = seccomp_export_bpf (ctx, fd);
  seccomp_release (ctx);
  if (r < 0)
    return wharf_make_error (err, -r, "seccomp: generate the filter");
  if (fstat (fd, &sb) < 0)
    return wharf_make_error (err, errno, "seccomp: stat the filter");
  prog = wharf_seccomp_prog_new ((size_t) sb.st_size, err);
  if (prog == NULL)
    return -1;
  if (pread (fd, prog->filter, (size_t) sb.st_size, 0) != sb.st_size)
    {
      wharf_seccomp_prog_free (prog);
      return wharf_make_error (err, errno ? errno : EIO, "seccomp: read the filter");
    }
  *out = prog;
  return 0;
}

struct wharf_seccomp_prog *
wharf_seccomp_prog_new (size_t bytes, wharf_error_t *err)
{
  struct wharf_seccomp_prog *prog;
  if (bytes == 0 || bytes % sizeof (struct sock_filter) != 0 || bytes / sizeof (struct sock_filter) > BPF_MAXINSNS)
    {
      wharf_make_error (err, 0, "seccomp: a filter of %zu bytes is not a BPF program", bytes);
      return NULL;
    }
  prog = calloc (1, sizeof (*prog) + bytes);
  if (prog == NULL)
    {
      wharf_make_error (err, ENOMEM, "seccomp filter");
      return NULL;
    }
  prog->len = (unsigned short) (bytes / sizeof (struct sock_filter));
  return prog;
}

void
wharf_seccomp_prog_free (struct wharf_seccomp_prog *prog)
{
  free (prog);
}

int
wharf_seccomp_compile (const cJSON *json, const char *cache_dir, struct wharf_seccomp_prog **out, wharf_error_t *err)
{
  cleanup_free char *key = NULL;
  *out = NULL;
  if (json == NULL)
    return 0;
  key = cache_dir ? wharf_seccomp_cache_key (json) : NULL;
  if (key && wharf_seccomp_cache_get (cache_dir, key, out) == 0)
    return 0;
  if (export_bpf (json, out, err) < 0)
    return -1;
  if (key)
    wharf_seccomp_cache_put (cache_dir, key, *out);
  return 0;
}

int
wharf_seccomp_load (const struct wharf_seccomp_prog *prog, wharf_error_t *err)
{
  struct sock_fprog fprog;
  if (prog == NULL)
    return 0;
  fprog = (struct sock_fprog){ .len = prog->len, .filter = (struct sock_filter *) prog->filter };
  if (syscall (SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
    return wharf_make_error (err, errno, "load the seccomp filter");
  return 0;
}

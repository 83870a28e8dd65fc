#include "runtime/process.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common/utils.h"
#include "runtime/caps.h"
#include "runtime/seccomp.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

int
wharf_close_fds_except (const int *keep, int n_keep, wharf_error_t *err)
{
  int sorted[16], n = 0, from = 3;
  for (int i = 0; i < n_keep && n < 16; i++)
    if (keep[i] >= 3)
      sorted[n++] = keep[i];
  qsort (sorted, (size_t) n, sizeof (int), cmp_int);
  for (int i = 0; i <= n; i++)
    {
      int to = i < n ? sorted[i] - 1 : INT_MAX;
      if (to >= from && syscall (SYS_close_range, (unsigned) from, (unsigned) to, 0) < 0)
        return wharf_make_error (err, errno, "close_range");
      if (i < n)
        from = sorted[i] + 1;
    }
  return 0;
}

static const char *
env_get (char **env, const char *key)
{
  size_t k = strlen (key);
  for (; env && *env; env++)
    if (strncmp (*env, key, k) == 0 && (*env)[k] == '=')
      return *env + k + 1;
  return NULL;
}

static char *
lookup_home (uid_t uid)
{
  cleanup_free char *text = NULL;
  wharf_error_t ignored = NULL;
  char *line, *save = NULL;
  if (wharf_read_file_at (AT_FDCWD, "/etc/passwd", &text, NULL, &ignored) < 0)
    {
      wharf_error_release (&ignored);
      return NULL;
    }
  for (line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[7];
      int n = 0;
      for (char *p = line; n < 7 && p; n++)
        {
          f[n] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (n == 7 && (uid_t) strtoul (f[2], NULL, 10) == uid)
        return strdup (f[5]);
    }
  return NULL;
}

static int
find_executable (const char *name, char **env, char **out, wharf_error_t *err)
{
  const char *path = env_get (env, "PATH");
  struct stat sb;
  if (strchr (name, '/'))
    {
      if (stat (name, &sb) < 0)
        return wharf_make_error (err, errno, "exec `%s`", name);
      if (!S_ISREG (sb.st_mode) || access (name, X_OK) < 0)
        return wharf_make_error (err, EACCES, "exec `%s`", name);
      *out = strdup (name);
      return 0;
    }
  if (path == NULL)
    path = DEFAULT_PATH;
  for (const char *p = path; *p;)
    {
      const char *end = strchrnul (p, ':');
      char cand[PATH_MAX];
      int n = snprintf (cand, sizeof (cand), "%.*s/%s", (int) (end - p), end == p ? "." : p, name);
      if (n > 0 && (size_t) n < sizeof (cand) && stat (cand, &sb) == 0 && S_ISREG (sb.st_mode)
          && access (cand, X_OK) == 0)
        {
          *out = strdup (cand);
          return 0;
        }
      p = *end ? end + 1 : end;
    }
  return wharf_make_error (err, ENOENT, "exec `%s`: executable file not found in $PATH", name);
}

static int
build_env (const struct wharf_process *p, char ***out, wharf_error_t *err)
{
  char **env = calloc (p->n_env + 3, sizeof (char *));
  size_t n = 0;
  if (env == NULL)
    return wharf_make_error (err, ENOMEM, "env");
  for (size_t i = 0; i < p->n_env; i++)
    env[n++] = p->env[i];
  if (env_get (env, "PATH") == NULL)
    env[n++] = (char *) "PATH=" DEFAULT_PATH;
  if (env_get (env, "HOME") == NULL)
    {
      cleanup_free char *home = lookup_home (p->uid);
      if (asprintf (&env[n], "HOME=%s", home ? home : "/") < 0)
        return wharf_make_error (err, ENOMEM, "env");
      n++;
    }
  *out = env;
  return 0;
}

int
wharf_process_limits (const struct wharf_process *p, wharf_error_t *err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return wharf_make_error (err, errno, "setrlimit %d", p->rlimits[i].resource);
    }
  if (p->has_oom_score_adj)
    {
      char buf[16];
      int n = snprintf (buf, sizeof (buf), "%d", p->oom_score_adj);
      if (wharf_write_file_at (AT_FDCWD, "/proc/self/oom_score_adj", buf, (size_t) n, err) < 0)
        return wharf_error_wrap (err, "set oomScoreAdj");
    }
  return 0;
}

int
wharf_process_prepare (const struct wharf_process *p, const struct wharf_seccomp_prog *seccomp, const int *keep,
                       int n_keep, struct wharf_exec_plan *plan, wharf_error_t *err)
{
  char cwd[PATH_MAX];
  memset (plan, 0, sizeof (*plan));
  if (p->args == NULL || p->args[0] == NULL)
    return wharf_make_error (err, 0, "process.args must not be empty");
  if (build_env (p, &plan->env, err) < 0 || find_executable (p->args[0], plan->env, &plan->path, err) < 0)
    return -1;
  plan->seccomp = seccomp;
  /* No fd from the host may be open while we chdir: a cwd such as
     /proc/self/fd/N must not reach a host directory (CVE-2024-21626). */
  if (wharf_close_fds_except (keep, n_keep, err) < 0)
    return -1;
  if (chdir (p->cwd) < 0)
    {
      cleanup_free char *dup = strdup (p->cwd);
      wharf_error_t ignored = NULL;
      if (errno != ENOENT || dup == NULL || wharf_mkdir_all (dup, 0755, &ignored) < 0 || chdir (p->cwd) < 0)
        {
          wharf_error_release (&ignored);
          return wharf_make_error (err, errno ? errno : ENOENT, "chdir to cwd `%s`", p->cwd);
        }
    }
  /* The kernel reports a directory outside our root as "(unreachable)",
     which glibc turns into ENOENT. */
  if (getcwd (cwd, sizeof (cwd)) == NULL || cwd[0] != '/')
    return wharf_make_error (err, EPERM, "cwd `%s` is outside the container", p->cwd);
  return 0;
}

int
wharf_process_exec (const struct wharf_process *p, struct wharf_exec_plan *plan, wharf_error_t *err)
{
  sigset_t none;
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return wharf_make_error (err, errno, "set no_new_privs");
  /* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it
     before the capabilities go. With it, load as late as possible. */
  if (!p->no_new_privileges && wharf_seccomp_load (plan->seccomp, err) < 0)
    return -1;
  if (wharf_caps_apply_with_user (p, err) < 0)
    return -1;
  umask (p->has_umask ? p->umask : 022);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  if (p->no_new_privileges && wharf_seccomp_load (plan->seccomp, err) < 0)
    return -1;
  execve (plan->path, p->args, plan->env);
  return wharf_make_error (err, errno, "exec `%s`", plan->path);
}

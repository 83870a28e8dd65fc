/* kill, pause and resume. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cgroup/cgroup.h"
#include "common/utils.h"
#include "runtime/cli.h"
#include "runtime/state.h"

/* "TERM", "SIGTERM", "term", "15", "RTMIN+3". */
static int
parse_signal (const char *s, wharf_error_t *err)
{
  char *end;
  long n = strtol (s, &end, 10);
  if (*s && *end == '\0')
    {
      if (n <= 0 || n >= NSIG)
        return wharf_make_error (err, 0, "invalid signal `%s`", s);
      return (int) n;
    }
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      long off = s[5] ? strtol (s + 5, &end, 10) : 0;
      int sig = (toupper ((unsigned char) s[3]) == 'I' ? SIGRTMIN : SIGRTMAX) + (int) off;
      if ((s[5] && *end) || sig < SIGRTMIN || sig > SIGRTMAX)
        return wharf_make_error (err, 0, "invalid signal `%s`", s);
      return sig;
    }
  for (int i = 1; i < SIGRTMIN; i++)
    {
      const char *name = sigabbrev_np (i);
      if (name && strcasecmp (name, s) == 0)
        return i;
    }
  return wharf_make_error (err, 0, "invalid signal `%s`", s);
}

static int
load_live (struct wharf_globals *g, const char *id, struct wharf_state *st, struct wharf_cgroup *cg, int *pidfd,
           const char **status, wharf_error_t *err)
{
  cleanup_free char *dir = NULL;
  if (wharf_state_dir (g->root, id, &dir, err) < 0 || wharf_state_load (g->root, id, st, err) < 0)
    return -1;
  *status = wharf_state_status (dir, st);
  *pidfd = strcmp (*status, "stopped") ? wharf_state_pidfd (st) : -1;
  if (*pidfd < 0)
    {
      wharf_state_free (st);
      return wharf_make_error (err, 0, "container `%s` is not running", id);
    }
  if (wharf_cgroup_open (NULL, st->cgroup_path, cg, err) < 0)
    {
      close (*pidfd);
      wharf_state_free (st);
      return -1;
    }
  return 0;
}

int
wharf_cmd_kill (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  bool all = false;
  const struct wharf_opt opts[] = { { "all", 'a', NULL, &all, NULL, NULL }, { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  struct wharf_cgroup cg;
  cleanup_close int pidfd = -1;
  const char *status;
  int idx = wharf_parse_opts (argc, argv, opts, err), sig = SIGTERM, ret = 0;
  if (idx < 0)
    return -1;
  if (idx >= argc)
    return wharf_make_error (err, 0, "kill: missing container id");
  if (argc - idx > 2)
    return wharf_make_error (err, 0, "kill: too many arguments");
  if (argc - idx == 2 && (sig = parse_signal (argv[idx + 1], err)) < 0)
    return -1;
  if (load_live (g, argv[idx], &st, &cg, &pidfd, &status, err) < 0)
    return -1;
  if (all)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      if (cg.manager->pids (&cg, &pids, &n, err) < 0)
        ret = -1;
      for (size_t i = 0; ret == 0 && i < n; i++)
        kill (pids[i], sig);
    }
  if (ret == 0 && syscall (SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0 && !(all && errno == ESRCH))
    ret = wharf_make_error (err, errno, "kill container `%s`", argv[idx]);
  wharf_cgroup_close (&cg);
  wharf_state_free (&st);
  return ret;
}

static int
set_paused (struct wharf_globals *g, int argc, char **argv, bool pause, wharf_error_t *err)
{
  const struct wharf_opt opts[] = { { NULL, 0, NULL, NULL, NULL, NULL } };
  struct wharf_state st;
  struct wharf_cgroup cg;
  cleanup_close int pidfd = -1;
  cleanup_free char *dir = NULL;
  const char *id, *status;
  int idx = wharf_parse_opts (argc, argv, opts, err), ret = 0;
  if (idx < 0 || wharf_one_id (argc, argv, idx, pause ? "pause" : "resume", &id, err) < 0
      || wharf_state_dir (g->root, id, &dir, err) < 0 || load_live (g, id, &st, &cg, &pidfd, &status, err) < 0)
    return -1;
  if (strcmp (status, pause ? "running" : "paused") != 0)
    ret = wharf_make_error (err, 0, "container `%s` is %s, not %s", id, status, pause ? "running" : "paused");
  else if (cg.manager->freeze (&cg, pause, err) < 0)
    ret = -1;
  else
    {
      cJSON_ReplaceItemInObjectCaseSensitive (st.json, "paused", cJSON_CreateBool (pause));
      ret = wharf_state_save (dir, st.json, err);
    }
  wharf_cgroup_close (&cg);
  wharf_state_free (&st);
  return ret;
}

int
wharf_cmd_pause (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  return set_paused (g, argc, argv, true, err);
}

int
wharf_cmd_resume (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  return set_paused (g, argc, argv, false, err);
}

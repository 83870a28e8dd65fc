/* exec: a new process in a running container, in all its namespaces and
 * its cgroup. The runtime joins the pid namespace (for its children only),
 * forks, puts the child into the cgroup; the child joins the other
 * namespaces through the init's pidfd, sets itself up and execs. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/utils.h"
#include "runtime/caps.h"
#include "runtime/cli.h"
#include "runtime/container.h"
#include "runtime/process.h"
#include "runtime/sync.h"
#include "runtime/terminal.h"

struct exec_args
{
  const char *user, *console_socket, *pid_file, *cwd, *process_file, *preserve_fds, *apparmor, *label;
  const char **caps, **env, **gids;
  size_t n_caps, n_env, n_gids;
  bool tty, detach, no_new_privs, ignore_paused;
};

struct exec_child
{
  struct wharf_process *proc;
  const struct wharf_seccomp_prog *seccomp;
  int pidfd, sync_fd, console_fd, flags;
};

__attribute__ ((noreturn)) static void
child_main (struct exec_child *c)
{
  wharf_error_t err = NULL;
  struct wharf_sync_msg msg;
  struct wharf_exec_plan plan;
  prctl (PR_SET_DUMPABLE, 0, 0, 0, 0);
  if (wharf_sync_expect (c->sync_fd, WHARF_SYNC_GO, "runtime", &msg, &err) < 0)
    goto fail;
  if (c->flags && setns (c->pidfd, c->flags) < 0)
    {
      wharf_make_error (&err, errno, "join the container's namespaces");
      goto fail;
    }
  close (c->pidfd);
  if (c->flags & CLONE_NEWUSER)
    {
      if ((setgroups (0, NULL) < 0 && errno != EPERM) || setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0)
        {
          wharf_make_error (&err, errno, "become root in the user namespace");
          goto fail;
        }
    }
  if (c->console_fd >= 0 && wharf_terminal_setup (c->console_fd, c->proc->rows, c->proc->cols, &err) < 0)
    goto fail;
  if (wharf_process_limits (c->proc, &err) < 0
      || wharf_process_prepare (c->proc, c->seccomp, &c->sync_fd, 1, &plan, &err) < 0)
    goto fail;
  wharf_process_exec (c->proc, &plan, &err);
fail:
  wharf_sync_send_error (c->sync_fd, &err);
  _exit (127);
}

static int
build_process (const struct exec_args *a, const struct wharf_spec *spec, char **cmd, struct wharf_process *p,
               cJSON **owned, wharf_error_t *err)
{
  if (a->process_file)
    {
      cleanup_free char *text = NULL;
      if (wharf_read_file_at (AT_FDCWD, a->process_file, &text, NULL, err) < 0)
        return -1;
      *owned = cJSON_Parse (text);
      if (*owned == NULL)
        return wharf_make_error (err, 0, "--process `%s`: malformed JSON", a->process_file);
      if (wharf_process_parse (*owned, p, err) < 0)
        return wharf_error_wrap (err, "--process `%s`", a->process_file);
    }
  else
    {
      char **env;
      *p = spec->process;
      /* Arrays we replace must not alias the spec's. */
      p->args = cmd;
      env = calloc (p->n_env + a->n_env + 1, sizeof (char *));
      if (env == NULL)
        return wharf_make_error (err, ENOMEM, "exec");
      memcpy (env, spec->process.env, p->n_env * sizeof (char *));
      memcpy (env + p->n_env, a->env, a->n_env * sizeof (char *));
      p->env = env;
      p->n_env += a->n_env;
      p->terminal = a->tty;
      p->rlimits = spec->process.rlimits;
      if (a->cwd)
        p->cwd = a->cwd;
      if (a->no_new_privs)
        p->no_new_privileges = true;
      if (a->user)
        {
          char *end;
          p->uid = (uid_t) strtoul (a->user, &end, 10);
          if (end == a->user || (*end && *end != ':'))
            return wharf_make_error (err, 0, "--user must be UID[:GID]");
          p->gid = *end == ':' ? (gid_t) strtoul (end + 1, NULL, 10) : 0;
        }
      for (size_t i = 0; i < a->n_caps; i++)
        {
          int c = wharf_cap_from_name (a->caps[i]);
          if (c < 0)
            return wharf_make_error (err, 0, "unknown capability `%s`", a->caps[i]);
          p->has_caps = true;
          p->caps[WHARF_CAP_BOUNDING] |= 1ULL << c;
          p->caps[WHARF_CAP_EFFECTIVE] |= 1ULL << c;
          p->caps[WHARF_CAP_PERMITTED] |= 1ULL << c;
        }
    }
  if (p->args == NULL || p->args[0] == NULL)
    return wharf_make_error (err, 0, "exec: no command given");
  return 0;
}

static int
namespaces_to_join (pid_t pid, const struct wharf_spec *spec)
{
  int flags = 0;
  for (int k = 0; k < WHARF_NS_KINDS; k++)
    {
      char a[64], b[64];
      struct stat sa, sb;
      snprintf (a, sizeof (a), "/proc/%d/ns/%s", (int) pid, wharf_ns_proc_name (k));
      snprintf (b, sizeof (b), "/proc/self/ns/%s", wharf_ns_proc_name (k));
      if (stat (a, &sa) == 0 && stat (b, &sb) == 0 && (sa.st_ino != sb.st_ino || sa.st_dev != sb.st_dev))
        flags |= wharf_ns_flag (k);
    }
  (void) spec;
  return flags;
}

static int
do_exec (struct wharf_globals *g, const char *id, struct exec_args *a, char **cmd, wharf_error_t *err)
{
  struct wharf_state st;
  struct wharf_spec spec;
  struct wharf_cgroup cg;
  struct wharf_process proc;
  struct exec_child child = { .console_fd = -1 };
  cleanup_free char *dir = NULL, *seccomp_cache = NULL;
  cleanup_free struct wharf_seccomp_prog *seccomp = NULL;
  cleanup_close int pidfd = -1, console = -1, sync_parent = -1;
  cJSON *owned = NULL, *config;
  struct wharf_sync_msg msg;
  const char *status;
  int sv[2], ret = -1, r;
  pid_t pid = -1;

  if (wharf_state_dir (g->root, id, &dir, err) < 0 || wharf_state_load (g->root, id, &st, err) < 0)
    return -1;
  status = wharf_state_status (dir, &st);
  if (strcmp (status, "running") && strcmp (status, "created"))
    {
      wharf_state_free (&st);
      return wharf_make_error (err, 0, "cannot exec in a %s container", status);
    }
  pidfd = wharf_state_pidfd (&st);
  config = cJSON_Duplicate (st.config, 1);
  if (pidfd < 0 || config == NULL || wharf_spec_parse (config, st.bundle, &spec, err) < 0)
    {
      wharf_state_free (&st);
      return *err ? -1 : wharf_make_error (err, 0, "container `%s` is not running", id);
    }
  memset (&cg, 0, sizeof (cg));
  memset (&proc, 0, sizeof (proc));
  if (build_process (a, &spec, cmd, &proc, &owned, err) < 0 || wharf_cgroup_open (NULL, st.cgroup_path, &cg, err) < 0)
    goto out;
  if (asprintf (&seccomp_cache, "%s/seccomp", g->root) < 0)
    {
      wharf_make_error (err, ENOMEM, "seccomp cache path");
      goto out;
    }
  if (wharf_seccomp_compile (spec.seccomp, seccomp_cache, &seccomp, err) < 0)
    goto out;
  if (proc.terminal
      && (a->console_socket == NULL ? wharf_make_error (err, 0, "exec -t needs --console-socket")
                                    : (console = wharf_console_connect (a->console_socket, err))) < 0)
    goto out;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      wharf_make_error (err, errno, "socketpair");
      goto out;
    }
  sync_parent = sv[0];
  child = (struct exec_child){ .proc = &proc, .seccomp = seccomp, .pidfd = pidfd, .sync_fd = sv[1],
                               .console_fd = console, .flags = namespaces_to_join (st.pid, &spec) };
  if ((child.flags & CLONE_NEWPID) && setns (pidfd, CLONE_NEWPID) < 0)
    {
      close (sv[1]);
      wharf_make_error (err, errno, "join the container's pid namespace");
      goto out;
    }
  pid = fork ();
  if (pid == 0)
    {
      close (sync_parent);
      child_main (&child);
    }
  close (sv[1]);
  if (pid < 0)
    {
      wharf_make_error (err, errno, "fork");
      goto out;
    }
  if (cg.manager->enter (&cg, pid, err) < 0 || wharf_sync_send (sync_parent, WHARF_SYNC_GO, pid, err) < 0)
    goto out_kill;
  r = wharf_sync_recv (sync_parent, &msg, err);
  if (r < 0)
    goto out_kill;
  if (r > 0)
    {
      wharf_make_error (err, msg.status, "%s", msg.type == WHARF_SYNC_ERROR ? msg.text : "exec: protocol error");
      goto out_kill;
    }
  if (a->pid_file)
    {
      char buf[16];
      int n = snprintf (buf, sizeof (buf), "%d", (int) pid);
      if (wharf_write_file_atomic (a->pid_file, buf, (size_t) n, 0644, err) < 0)
        goto out_kill;
    }
  if (a->detach)
    ret = 0;
  else
    {
      cleanup_close int cpidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      int ws = wharf_wait_forwarding (pid, cpidfd, err);
      if (ws >= 0)
        ret = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws);
    }
  goto out;
out_kill:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
out:
  if (owned)
    {
      wharf_process_free (&proc);
      cJSON_Delete (owned);
    }
  else
    free (proc.env);
  if (cg.manager)
    wharf_cgroup_close (&cg);
  wharf_spec_free (&spec);
  wharf_state_free (&st);
  return ret;
}

int
wharf_cmd_exec (struct wharf_globals *g, int argc, char **argv, wharf_error_t *err)
{
  struct exec_args a = { 0 };
  const struct wharf_opt opts[] = {
    { "user", 'u', &a.user, NULL, NULL, NULL },
    { "cap", 'c', NULL, NULL, &a.caps, &a.n_caps },
    { "tty", 't', NULL, &a.tty, NULL, NULL },
    { "console-socket", 0, &a.console_socket, NULL, NULL, NULL },
    { "detach", 'd', NULL, &a.detach, NULL, NULL },
    { "pid-file", 0, &a.pid_file, NULL, NULL, NULL },
    { "cwd", 0, &a.cwd, NULL, NULL, NULL },
    { "env", 'e', NULL, NULL, &a.env, &a.n_env },
    { "process", 'p', &a.process_file, NULL, NULL, NULL },
    { "no-new-privs", 0, NULL, &a.no_new_privs, NULL, NULL },
    { "additional-gids", 'g', NULL, NULL, &a.gids, &a.n_gids },
    { "preserve-fds", 0, &a.preserve_fds, NULL, NULL, NULL },
    { "apparmor", 0, &a.apparmor, NULL, NULL, NULL },
    { "process-label", 0, &a.label, NULL, NULL, NULL },
    { "ignore-paused", 0, NULL, &a.ignore_paused, NULL, NULL },
    { NULL, 0, NULL, NULL, NULL, NULL },
  };
  int idx = wharf_parse_opts (argc, argv, opts, err), r;
  if (idx < 0)
    return -1;
  if (idx >= argc)
    return wharf_make_error (err, 0, "exec: missing container id");
  if (a.process_file == NULL && idx + 1 >= argc)
    return wharf_make_error (err, 0, "exec: no command given");
  r = do_exec (g, argv[idx], &a, argv + idx + 1, err);
  free (a.caps);
  free (a.env);
  free (a.gids);
  return r;
}

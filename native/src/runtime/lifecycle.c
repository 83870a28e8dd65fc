/* What create, start, run and delete share after the clone. */
#include "runtime/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "common/utils.h"
#include "runtime/hooks.h"

int
wharf_resources_add_default_devices (struct wharf_resources *r, const struct wharf_spec *spec, wharf_error_t *err)
{
  static const struct wharf_device_rule defaults[] = {
    { true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },  { true, 'c', 1, 3, "rwm" },
    { true, 'c', 1, 5, "rwm" },  { true, 'c', 1, 7, "rwm" },  { true, 'c', 1, 8, "rwm" },
    { true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },  { true, 'c', 5, 1, "rwm" },
    { true, 'c', 5, 2, "rwm" },  { true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
  };
  size_t nd = sizeof (defaults) / sizeof (defaults[0]);
  struct wharf_device_rule *n = realloc (r->devices, (r->n_devices + nd + spec->n_devices) * sizeof (*n));
  if (n == NULL)
    return wharf_make_error (err, ENOMEM, "device rules");
  r->devices = n;
  memcpy (n + r->n_devices, defaults, sizeof (defaults));
  r->n_devices += nd;
  for (size_t i = 0; i < spec->n_devices; i++)
    {
      const struct wharf_device *d = &spec->devices[i];
      if (d->type == 'p')
        continue;
      n[r->n_devices++] = (struct wharf_device_rule){ true, d->type == 'b' ? 'b' : 'c', d->major, d->minor, "rwm" };
    }
  return 0;
}

int
wharf_container_start (const char *state_dir, int pidfd, const struct wharf_spec *spec, const char *state_json,
                       wharf_error_t *err)
{
  cleanup_free char *fifo = NULL;
  cleanup_close int fd = -1;
  struct pollfd p[2];
  bool got = false;
  char c;
  ssize_t n;
  if (asprintf (&fifo, "%s/exec.fifo", state_dir) < 0)
    return wharf_make_error (err, ENOMEM, "start");
  fd = open (fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? wharf_make_error (err, 0, "container is not in the created state")
                           : wharf_make_error (err, errno, "open exec.fifo");
  /* Our open released the init's blocking open for writing; it writes one
     byte, then keeps the fifo open until it execs (O_CLOEXEC): EOF means
     the user's process runs, so poststart hooks run after it, as the spec
     wants. If the init dies before writing, its pidfd tells us. */
  p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
  p[1] = (struct pollfd){ .fd = pidfd, .events = POLLIN };
  for (;;)
    {
      int r = poll (p, got ? 1 : 2, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return wharf_make_error (err, errno, "poll");
      if (p[0].revents)
        {
          n = read (fd, &c, 1);
          if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
          if (n == 1)
            {
              got = true;
              continue;
            }
          if (got)
            break;
          return wharf_make_error (err, n < 0 ? errno : 0, "container init exited before start");
        }
      if (!got && p[1].revents)
        return wharf_make_error (err, 0, "container init exited before start");
    }
  unlink (fifo);
  if (spec && spec->hooks[WHARF_HOOK_POSTSTART].n)
    {
      wharf_error_t hook_err = NULL;
      if (wharf_hooks_run (&spec->hooks[WHARF_HOOK_POSTSTART], "poststart", state_json, &hook_err) < 0)
        {
          wharf_error_wrap (&hook_err, "warning");
          wharf_error_print ("wharf-runtime", &hook_err);
        }
    }
  return 0;
}

static int
wait_pidfd (int pidfd, int timeout_ms)
{
  struct pollfd p = { .fd = pidfd, .events = POLLIN };
  int r;
  do
    r = poll (&p, 1, timeout_ms);
  while (r < 0 && errno == EINTR);
  return r;
}

/* Kills every process of the container. With a pid namespace, killing the
 * init is enough: the kernel kills the rest before the init is reaped. */
static int
kill_all (struct wharf_cgroup *cg, int pidfd, bool whole_cgroup, bool paused, wharf_error_t *err)
{
  if (whole_cgroup)
    {
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      if (cg->manager->pids (cg, &pids, &n, err) < 0)
        return -1;
      for (size_t i = 0; i < n; i++)
        kill (pids[i], SIGKILL);
    }
  if (pidfd >= 0)
    syscall (SYS_pidfd_send_signal, pidfd, SIGKILL, NULL, 0);
  if (paused && cg->manager->freeze (cg, false, err) < 0)
    return -1;
  if (pidfd >= 0 && wait_pidfd (pidfd, 10000) <= 0)
    return wharf_make_error (err, ETIMEDOUT, "wait for the container init to die");
  return 0;
}

int
wharf_container_destroy (const char *state_dir, struct wharf_state *st, bool force, wharf_error_t *err)
{
  const char *status = wharf_state_status (state_dir, st);
  struct wharf_spec spec;
  struct wharf_cgroup cg;
  cleanup_close int pidfd = -1;
  cleanup_free char *json = NULL;
  cJSON *config;
  bool alive = strcmp (status, "stopped") != 0;
  int ret = 0;

  if (alive && !force && strcmp (status, "created") != 0)
    return wharf_make_error (err, 0, "container `%s` is %s: stop it first or use --force", st->id, status);
  config = cJSON_Duplicate (st->config, 1);
  if (config == NULL || wharf_spec_parse (config, st->bundle, &spec, err) < 0)
    {
      if (config == NULL)
        return wharf_make_error (err, 0, "state of `%s` has no config", st->id);
      wharf_spec_free (&spec);
      return wharf_error_wrap (err, "stored config");
    }
  if (wharf_cgroup_open (NULL, st->cgroup_path, &cg, err) < 0)
    {
      wharf_spec_free (&spec);
      return -1;
    }
  if (alive)
    {
      bool own_pidns = spec.ns[WHARF_NS_PID].present && !spec.ns[WHARF_NS_PID].path;
      pidfd = wharf_state_pidfd (st);
      /* Without a pidfd (the init went away meanwhile) kill by cgroup. */
      if (kill_all (&cg, pidfd, !own_pidns || pidfd < 0, st->paused, err) < 0)
        ret = -1;
    }
  else if (!spec.ns[WHARF_NS_PID].present || spec.ns[WHARF_NS_PID].path)
    {
      wharf_error_t ignored = NULL;
      if (kill_all (&cg, -1, true, false, &ignored) < 0)
        wharf_error_release (&ignored);
    }
  if (ret == 0 && cg.manager->destroy (&cg, err) < 0)
    ret = wharf_error_wrap (err, "remove cgroup `%s`", cg.path);
  if (ret == 0)
    {
      wharf_state_remove (state_dir);
      if (spec.hooks[WHARF_HOOK_POSTSTOP].n)
        {
          wharf_error_t hook_err = NULL;
          json = wharf_state_oci_json (st->id, "stopped", 0, st->bundle, spec.annotations, NULL, NULL);
          if (wharf_hooks_run (&spec.hooks[WHARF_HOOK_POSTSTOP], "poststop", json, &hook_err) < 0)
            {
              wharf_error_wrap (&hook_err, "warning");
              wharf_error_print ("wharf-runtime", &hook_err);
            }
        }
    }
  wharf_cgroup_close (&cg);
  wharf_spec_free (&spec);
  return ret;
}

/* Forwards signals to the init until it exits; returns its wait status. */
int
wharf_wait_forwarding (pid_t pid, int pidfd, wharf_error_t *err)
{
  static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  sigset_t set;
  cleanup_close int sfd = -1;
  int status;
  sigemptyset (&set);
  for (size_t i = 0; i < sizeof (forwarded) / sizeof (forwarded[0]); i++)
    sigaddset (&set, forwarded[i]);
  sigprocmask (SIG_BLOCK, &set, NULL);
  sfd = signalfd (-1, &set, SFD_CLOEXEC);
  for (;;)
    {
      struct pollfd p[2] = { { .fd = pidfd, .events = POLLIN }, { .fd = sfd, .events = POLLIN } };
      int r = poll (p, sfd >= 0 ? 2 : 1, -1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return wharf_make_error (err, errno, "poll");
      if (p[0].revents)
        break;
      if (p[1].revents)
        {
          struct signalfd_siginfo si;
          if (read (sfd, &si, sizeof (si)) == sizeof (si))
            syscall (SYS_pidfd_send_signal, pidfd, (int) si.ssi_signo, NULL, 0);
        }
    }
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return wharf_make_error (err, errno, "waitpid");
  return status;
}


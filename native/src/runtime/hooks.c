#include "runtime/hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"

static int
wait_with_timeout (pid_t pid, int timeout, int *status, wharf_error_t *err)
{
  if (timeout > 0)
    {
      cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      int r;
      if (pidfd < 0)
        return wharf_make_error (err, errno, "pidfd_open");
      do
        r = poll (&p, 1, timeout * 1000);
      while (r < 0 && errno == EINTR);
      if (r == 0)
        {
          kill (pid, SIGKILL);
          waitpid (pid, NULL, 0);
          return wharf_make_error (err, ETIMEDOUT, "timed out after %d s", timeout);
        }
    }
  while (waitpid (pid, status, 0) < 0)
    if (errno != EINTR)
      return wharf_make_error (err, errno, "waitpid");
  return 0;
}

static int
run_one (const struct wharf_hook *h, const char *state_json, wharf_error_t *err)
{
  int fds[2], status = 0;
  pid_t pid;
  struct sigaction ign = { .sa_handler = SIG_IGN }, old;
  char *default_args[] = { (char *) h->path, NULL };
  if (pipe2 (fds, O_CLOEXEC) < 0)
    return wharf_make_error (err, errno, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (fds[0]);
      close (fds[1]);
      return wharf_make_error (err, errno, "fork");
    }
  if (pid == 0)
    {
      dup2 (fds[0], 0);
      execve (h->path, h->args && h->args[0] ? h->args : default_args, h->env);
      _exit (127);
    }
  close (fds[0]);
  /* The hook may not read its stdin: don't die of SIGPIPE. */
  sigaction (SIGPIPE, &ign, &old);
  (void) wharf_write_all (fds[1], state_json, strlen (state_json));
  sigaction (SIGPIPE, &old, NULL);
  close (fds[1]);
  if (wait_with_timeout (pid, h->timeout, &status, err) < 0)
    return -1;
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status))
    return wharf_make_error (err, 0, "exited with status %d", WEXITSTATUS (status));
  return wharf_make_error (err, 0, "killed by signal %d", WTERMSIG (status));
}

int
wharf_hooks_run (const struct wharf_hook_list *list, const char *kind, const char *state_json, wharf_error_t *err)
{
  for (size_t i = 0; i < list->n; i++)
    if (run_one (&list->items[i], state_json, err) < 0)
      return wharf_error_wrap (err, "%s hook `%s`", kind, list->items[i].path);
  return 0;
}

#include "shim/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"

int
shim_daemonize (wharf_error_t *err)
{
  int status;
  pid_t pid = fork ();
  if (pid < 0)
    return wharf_make_error (err, errno, "fork");
  if (pid > 0)
    {
      while (waitpid (pid, &status, 0) < 0)
        if (errno != EINTR)
          return wharf_make_error (err, errno, "waitpid");
      if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
        return wharf_make_error (err, 0, "detaching failed (setsid or fork)");
      return 1;
    }
  if (setsid () < 0)
    _exit (1);
  pid = fork ();
  if (pid < 0)
    _exit (1);
  if (pid > 0)
    _exit (0);
  return 0;
}

static void
close_inherited (int keep_fd)
{
  /* close_range is in glibc >= 2.34 and Linux >= 5.9. */
  if (keep_fd < 3)
    syscall (SYS_close_range, 3U, ~0U, 0U);
  else
    {
      if (keep_fd > 3)
        syscall (SYS_close_range, 3U, (unsigned) keep_fd - 1, 0U);
      syscall (SYS_close_range, (unsigned) keep_fd + 1, ~0U, 0U);
    }
}

int
shim_process_setup (int keep_fd, char saved_adj[OOM_ADJ_LEN], wharf_error_t *err)
{
  static const char adj[] = "-1000";
  int fd;

  close_inherited (keep_fd);
  if (keep_fd >= 0 && fcntl (keep_fd, F_SETFD, FD_CLOEXEC) < 0)
    return wharf_make_error (err, errno, "sync fd");

  fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return wharf_make_error (err, errno, "open /dev/null");
  for (int i = 0; i < 3; i++)
    if (dup2 (fd, i) < 0)
      {
        close (fd);
        return wharf_make_error (err, errno, "dup2 /dev/null");
      }
  if (fd > 2)
    close (fd);

  if (prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return wharf_make_error (err, errno, "PR_SET_CHILD_SUBREAPER");

  /* Without CAP_SYS_RESOURCE this can fail; the shim still works. */
  saved_adj[0] = '\0';
  fd = open ("/proc/self/oom_score_adj", O_RDWR | O_CLOEXEC);
  if (fd >= 0)
    {
      ssize_t n = read (fd, saved_adj, OOM_ADJ_LEN - 1);
      saved_adj[n > 0 ? n : 0] = '\0';
      (void) wharf_write_all (fd, adj, sizeof (adj) - 1);
      close (fd);
    }

  signal (SIGPIPE, SIG_IGN);
  signal (SIGHUP, SIG_IGN);
  return 0;
}

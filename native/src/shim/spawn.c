#include "shim/spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/utils.h"

/* In the forked child: stdio in place, signals back to defaults, exec. */
static void __attribute__ ((noreturn))
exec_runtime (const struct shim_options *o, char **argv, const struct runtime_stdio *io)
{
  sigset_t all;
  if (dup2 (io->in, 0) < 0 || dup2 (io->out, 1) < 0 || dup2 (io->err, 2) < 0)
    _exit (127);
  signal (SIGPIPE, SIG_DFL);
  signal (SIGHUP, SIG_DFL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
  if (io->oom_score_adj && io->oom_score_adj[0])
    {
      /* Raising needs no privilege; the container inherits this value. */
      int fd = open ("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
      if (fd >= 0)
        {
          (void) !write (fd, io->oom_score_adj, strlen (io->oom_score_adj));
          close (fd);
        }
    }
  execvp (o->runtime, argv);
  {
    /* Forked from a single-threaded process: stdio is safe here. */
    char msg[512];
    int n = snprintf (msg, sizeof (msg), "cannot execute the runtime `%s`: %s\n", o->runtime, strerror (errno));
    if (n > 0)
      (void) !write (2, msg, (size_t) n < sizeof (msg) ? (size_t) n : sizeof (msg) - 1);
  }
  _exit (127);
}

int
runtime_run (const struct shim_options *o, const char *pid_file, const char *console_socket,
             const struct runtime_stdio *io, wharf_error_t *err)
{
  char *argv[20];
  int argc = 0, status;
  pid_t pid;

  argv[argc++] = o->runtime;
  argv[argc++] = (char *) "--root";
  argv[argc++] = o->runtime_root;
  if (o->exec_process)
    {
      argv[argc++] = (char *) "exec";
      argv[argc++] = (char *) "--detach";
      argv[argc++] = (char *) "--process";
      argv[argc++] = o->exec_process;
    }
  else
    {
      argv[argc++] = (char *) "create";
      argv[argc++] = (char *) "--bundle";
      argv[argc++] = o->bundle;
    }
  argv[argc++] = (char *) "--pid-file";
  argv[argc++] = (char *) pid_file;
  if (console_socket)
    {
      argv[argc++] = (char *) "--console-socket";
      argv[argc++] = (char *) console_socket;
    }
  argv[argc++] = o->id;
  argv[argc] = NULL;

  pid = fork ();
  if (pid < 0)
    return wharf_make_error (err, errno, "fork");
  if (pid == 0)
    exec_runtime (o, argv, io);
  while (waitpid (pid, &status, 0) < 0)
    if (errno != EINTR)
      return wharf_make_error (err, errno, "waitpid runtime");
  if (WIFEXITED (status) && WEXITSTATUS (status) == 0)
    return 0;
  if (WIFEXITED (status))
    return wharf_make_error (err, 0, "runtime %s exited with status %d", o->exec_process ? "exec" : "create",
                             WEXITSTATUS (status));
  return wharf_make_error (err, 0, "runtime %s killed by signal %d", o->exec_process ? "exec" : "create",
                           WTERMSIG (status));
}

/* runc logs through logrus: `time="…" level=error msg="…"`. Keeps just
 * the message (unescaped) when line has that shape. */
static void
logrus_message (char *line)
{
  char *msg = strstr (line, " msg=\"");
  char *out = line;
  if (msg == NULL)
    return;
  for (char *p = msg + 6; *p && *p != '"'; p++)
    {
      if (*p == '\\' && p[1])
        p++;
      *out++ = *p;
    }
  *out = '\0';
}

void
runtime_error_text (int fd, char *buf, size_t len)
{
  char tmp[4096];
  size_t used = 0;
  int flags = fcntl (fd, F_GETFL);
  buf[0] = '\0';
  if (flags >= 0)
    fcntl (fd, F_SETFL, flags | O_NONBLOCK);
  for (;;)
    {
      ssize_t n;
      if (used == sizeof (tmp))
        {
          /* Keep the tail: the error is the last line. */
          memmove (tmp, tmp + sizeof (tmp) / 2, sizeof (tmp) / 2);
          used = sizeof (tmp) / 2;
        }
      n = read (fd, tmp + used, sizeof (tmp) - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        break;
      used += (size_t) n;
    }
  while (used > 0 && (tmp[used - 1] == '\n' || tmp[used - 1] == '\r' || tmp[used - 1] == ' '))
    used--;
  {
    size_t start = used;
    size_t n;
    while (start > 0 && tmp[start - 1] != '\n')
      start--;
    n = used - start;
    if (n >= len)
      n = len - 1;
    memcpy (buf, tmp + start, n);
    buf[n] = '\0';
  }
  logrus_message (buf);
}

/* wharf-shim: the per-container monitor (conmon's role). See
 * native/README.md, "wharf-shim", for the command line and the files it
 * leaves in its state dir; the pieces:
 *
 *   options.c   command line          daemon.c   double fork, setsid, subreaper
 *   spawn.c     runtime create/exec   console.c  pty master from the runtime
 *   monitor.c   epoll loop            attach.c   attach socket and clients
 *   jsonlog.c   json-file log         oom.c      OOM-kill counter
 *   exit.c      exit.json             ring.c     bounded buffers
 *   json.c      escaping, timestamps  event.c    epoll registrations
 *   unixsock.c  listening sockets
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/utils.h"
#include "shim/console.h"
#include "shim/daemon.h"
#include "shim/exit.h"
#include "shim/json.h"
#include "shim/monitor.h"
#include "shim/oom.h"
#include "shim/options.h"
#include "shim/spawn.h"

#define PROG "wharf-shim"
#define ATTACH_SOCK "attach.sock"
#define CONSOLE_SOCK "console.sock"
#define CONTAINER_PID "container.pid"

/* Writes one line to the sync fd and closes it. */
static void
sync_send (int *fd, const char *line)
{
  if (*fd < 0)
    return;
  (void) wharf_write_all (*fd, line, strlen (line));
  close (*fd);
  *fd = -1;
}

/* Reports a failure of the detached shim: on the sync fd when the engine is
 * still waiting there, else appended to shim.log in the state dir. */
static void
report_error (int *sync_fd, wharf_error_t *err)
{
  const char *msg = (*err && (*err)->msg) ? (*err)->msg : "unknown error";
  char *full = NULL, *line;
  size_t n;
  if (*err && (*err)->status > 0 && asprintf (&full, "%s: %s", msg, strerror ((*err)->status)) >= 0)
    msg = full;
  n = json_escape (NULL, msg, strlen (msg));
  line = malloc (n + 16);
  if (line)
    {
      memcpy (line, "{\"error\":\"", 10);
      json_escape (line + 10, msg, strlen (msg));
      memcpy (line + 10 + n, "\"}\n", 4);
      if (*sync_fd >= 0)
        sync_send (sync_fd, line);
      else
        {
          int fd = open ("shim.log", O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
          if (fd >= 0)
            {
              (void) wharf_write_all (fd, line, strlen (line));
              close (fd);
            }
        }
    }
  free (line);
  free (full);
  wharf_error_release (err);
}

static int
read_pid (const char *path, pid_t *pid, wharf_error_t *err)
{
  cleanup_free char *text = NULL;
  long v;
  if (wharf_read_file_at (AT_FDCWD, path, &text, NULL, err) < 0)
    return -1;
  v = strtol (text, NULL, 10);
  if (v <= 0)
    return wharf_make_error (err, 0, "bad pid in `%s`", path);
  *pid = (pid_t) v;
  return 0;
}

static int
set_nonblock (int fd)
{
  int flags = fcntl (fd, F_GETFL);
  return flags < 0 ? -1 : fcntl (fd, F_SETFL, flags | O_NONBLOCK);
}

/* Runs the runtime with the container's stdio. On success out, errfd and in
 * receive the shim's ends (non-blocking); on failure err has the runtime's
 * message. */
static int
create_container (const struct shim_options *o, const char *oom_adj, int *out, int *errfd, int *in,
                  wharf_error_t *err)
{
  cleanup_close int console = -1;
  cleanup_close int out_r = -1, out_w = -1, err_r = -1, err_w = -1, in_r = -1, in_w = -1;
  cleanup_free char *pid_file = NULL, *console_path = NULL;
  struct runtime_stdio io = { 0, 1, 2, oom_adj }; /* stdio: /dev/null by now */
  int p[2];

  if (asprintf (&pid_file, "%s/" CONTAINER_PID, o->state_dir) < 0)
    return wharf_make_error (err, ENOMEM, "pid file");
  if (pipe2 (p, O_CLOEXEC) < 0)
    return wharf_make_error (err, errno, "pipe");
  err_r = p[0], err_w = p[1];
  io.err = err_w;
  if (o->terminal)
    {
      if (asprintf (&console_path, "%s/" CONSOLE_SOCK, o->state_dir) < 0)
        return wharf_make_error (err, ENOMEM, "console socket");
      console = console_socket_listen (CONSOLE_SOCK, err);
      if (console < 0)
        return wharf_error_wrap (err, "console socket");
    }
  else
    {
      if (pipe2 (p, O_CLOEXEC) < 0)
        return wharf_make_error (err, errno, "pipe");
      out_r = p[0], out_w = p[1];
      io.out = out_w;
      if (o->stdin_open)
        {
          if (pipe2 (p, O_CLOEXEC) < 0)
            return wharf_make_error (err, errno, "pipe");
          in_r = p[0], in_w = p[1];
          io.in = in_r;
        }
    }

  if (runtime_run (o, pid_file, console_path, &io, err) < 0)
    {
      char text[1024];
      close (err_w);
      err_w = -1;
      runtime_error_text (err_r, text, sizeof (text));
      if (console >= 0)
        unlink (CONSOLE_SOCK);
      if (text[0])
        {
          wharf_error_release (err);
          return wharf_make_error (err, 0, "%s", text);
        }
      return -1;
    }

  if (o->terminal)
    {
      int master = console_socket_receive (console, err);
      unlink (CONSOLE_SOCK);
      if (master < 0)
        return -1;
      *out = master;
      *errfd = -1;
      *in = -1;
      if (o->stdin_open)
        {
          *in = fcntl (master, F_DUPFD_CLOEXEC, 3);
          if (*in < 0)
            {
              close (master);
              return wharf_make_error (err, errno, "dup terminal");
            }
        }
      return 0;
    }
  if (set_nonblock (out_r) < 0 || set_nonblock (err_r) < 0 || (in_w >= 0 && set_nonblock (in_w) < 0))
    return wharf_make_error (err, errno, "O_NONBLOCK");
  *out = out_r, out_r = -1;
  *errfd = err_r, err_r = -1;
  *in = in_w, in_w = -1;
  return 0;
}

/* The detached monitor. Returns the shim's exit status. */
static int
run_shim (struct shim_options *o)
{
  wharf_error_t err = NULL;
  struct monitor m;
  struct oom_watch oom = { .fd = -1 };
  struct json_log *log = NULL;
  int sync_fd = o->sync_fd;
  int out = -1, errfd = -1, in = -1;
  pid_t pid = 0;
  char line[64];
  char oom_adj[OOM_ADJ_LEN];

  if (shim_process_setup (sync_fd, oom_adj, &err) < 0)
    goto fail;
  if (chdir (o->state_dir) < 0)
    {
      wharf_make_error (&err, errno, "chdir `%s`", o->state_dir);
      goto fail;
    }
  snprintf (line, sizeof (line), "%d\n", (int) getpid ());
  if (wharf_write_file_atomic ("shim.pid", line, strlen (line), 0644, &err) < 0)
    goto fail;
  if (monitor_init (&m, ATTACH_SOCK, &err) < 0)
    goto fail;
  m.orphan.owns_cgroups = o->exec_process == NULL;
  if (o->log_path && json_log_open (&log, o->log_path, &err) < 0)
    goto fail_attach;
  if (create_container (o, oom_adj, &out, &errfd, &in, &err) < 0)
    goto fail_attach;
  if (read_pid (CONTAINER_PID, &pid, &err) < 0)
    goto fail_attach;
  if (oom_watch_open (&oom, pid, &err) < 0)
    wharf_error_release (&err); /* OOM reporting is best effort */
  m.log = log;
  if (monitor_set_io (&m, pid, out, errfd, in, o->terminal, &err) < 0)
    goto fail_attach;

  snprintf (line, sizeof (line), "{\"pid\":%d}\n", (int) pid);
  sync_send (&sync_fd, line);

  monitor_run (&m);

  json_log_close (log);
  m.log = NULL;
  if (exit_file_write ("exit.json", m.status, oom_watch_fired (&oom), &m.finished, &err) < 0)
    report_error (&sync_fd, &err);
  oom_watch_close (&oom);
  attach_server_stop (&m.attach, ATTACH_SOCK);
  monitor_close_io (&m);
  attach_server_close_all (&m.attach, 1000);
  return 0;

fail_attach:
  unlink (ATTACH_SOCK);
fail:
  json_log_close (log);
  report_error (&sync_fd, &err);
  return 1;
}

int
main (int argc, char **argv)
{
  struct shim_options o;
  wharf_error_t err = NULL;
  int r;

  /* Buffers above 32 KiB (client and stdin rings) are mmap'd, so they go
   * back to the kernel when freed; a fixed threshold also stops glibc from
   * raising it after the first free. */
  mallopt (M_MMAP_THRESHOLD, 32 * 1024);

  if (shim_options_parse (&o, argc, argv, &err) < 0)
    {
      wharf_error_print (PROG, &err);
      fputs ("usage: " PROG " --id ID --runtime PATH --runtime-root DIR --bundle DIR --state-dir DIR\n"
             "       [--log-path FILE] [--terminal] [--stdin] [--exec-process FILE] [--sync-fd N]\n",
             stderr);
      return 2;
    }
  if (wharf_mkdir_all (o.state_dir, 0700, &err) < 0 || chmod (o.state_dir, 0700) < 0)
    {
      if (err == NULL)
        wharf_make_error (&err, errno, "chmod `%s`", o.state_dir);
      wharf_error_print (PROG, &err);
      return 1;
    }
  r = shim_daemonize (&err);
  if (r < 0)
    {
      wharf_error_print (PROG, &err);
      return 1;
    }
  /* r > 0: the original process, done once the shim is detached. */
  r = r > 0 ? 0 : run_shim (&o);
  shim_options_free (&o);
  return r;
}

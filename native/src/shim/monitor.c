#include "shim/monitor.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/utils.h"
#include "shim/ring.h"

#define OUTPUT_READS_PER_WAKEUP 8
#define OUTPUT_READ_SIZE 8192

static long
mono_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* ---- stdin: the attach sink ---- */

static void
stdin_close_now (struct monitor *m)
{
  ring_free (m->stdin_buf);
  m->stdin_buf = NULL;
  m->stdin_close_pending = false;
  ep_src_close (m->epfd, &m->in);
  attach_resume_input (&m->attach); /* paused writers now discard */
}

static size_t
sink_stdin_room (void *ctx)
{
  struct monitor *m = ctx;
  if (m->in.fd < 0 || m->stdin_close_pending)
    return OUTPUT_READ_SIZE; /* discarding: any amount */
  return m->stdin_buf ? ring_space (m->stdin_buf) : STDIN_BUF;
}

static void
sink_stdin_data (void *ctx, const char *data, size_t len)
{
  struct monitor *m = ctx;
  if (m->in.fd < 0 || m->stdin_close_pending)
    return;
  if (m->stdin_buf == NULL)
    {
      ssize_t n;
      do
        n = write (m->in.fd, data, len);
      while (n < 0 && errno == EINTR);
      if (n < 0 && errno != EAGAIN)
        {
          stdin_close_now (m); /* the container closed its stdin */
          return;
        }
      if (n < 0)
        n = 0;
      if ((size_t) n == len)
        return;
      data += n;
      len -= (size_t) n;
      m->stdin_buf = ring_new (STDIN_BUF);
      if (m->stdin_buf == NULL)
        return;
    }
  (void) ring_push (m->stdin_buf, data, len); /* fits: room was asked */
  (void) ep_src_set (m->epfd, &m->in, EPOLLOUT);
}

static void
sink_close_stdin (void *ctx)
{
  struct monitor *m = ctx;
  /* A pty has no input side of its own to close: in TTY mode close-stdin
   * only ends nothing (documented in native/README.md). */
  if (m->master >= 0 || m->in.fd < 0)
    return;
  if (m->stdin_buf && ring_used (m->stdin_buf) > 0)
    m->stdin_close_pending = true;
  else
    stdin_close_now (m);
}

static void
sink_resize (void *ctx, unsigned rows, unsigned cols)
{
  struct monitor *m = ctx;
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (m->master >= 0)
    (void) ioctl (m->master, TIOCSWINSZ, &ws);
}

static void
on_stdin_writable (struct monitor *m, uint32_t events)
{
  if (m->stdin_buf == NULL || (events & EPOLLERR) || ring_write_fd (m->stdin_buf, m->in.fd) < 0)
    {
      stdin_close_now (m);
      return;
    }
  if (ring_used (m->stdin_buf) > 0)
    return;
  ring_free (m->stdin_buf);
  m->stdin_buf = NULL;
  if (m->stdin_close_pending)
    {
      stdin_close_now (m);
      return;
    }
  (void) ep_src_set (m->epfd, &m->in, 0);
  attach_resume_input (&m->attach);
}

/* ---- output ---- */

static void
output_eof (struct monitor *m, struct ep_src *src, enum log_stream stream, const struct timespec *now)
{
  json_log_flush (m->log, stream, now);
  if (src->fd == m->master)
    {
      /* Kept open until the end for resize; just stop polling. */
      (void) ep_src_set (m->epfd, src, 0);
      src->fd = -1;
    }
  else
    ep_src_close (m->epfd, src);
}

static void
on_output (struct monitor *m, struct ep_src *src)
{
  char buf[OUTPUT_READ_SIZE];
  enum log_stream stream = src->kind == EP_STDOUT ? LOG_STDOUT : LOG_STDERR;
  for (int i = 0; i < OUTPUT_READS_PER_WAKEUP; i++)
    {
      struct timespec now;
      ssize_t n = read (src->fd, buf, sizeof (buf));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno == EAGAIN)
        return;
      clock_gettime (CLOCK_REALTIME, &now);
      if (n <= 0)
        {
          /* EOF; EIO from a pty master whose slave is closed. */
          output_eof (m, src, stream, &now);
          return;
        }
      m->last_output_ms = mono_ms ();
      json_log_write (m->log, stream, buf, (size_t) n, &now);
      attach_broadcast (&m->attach, stream == LOG_STDOUT ? FRAME_STDOUT : FRAME_STDERR, buf, (size_t) n);
    }
}

/* ---- children ---- */

static void
on_signal (struct monitor *m)
{
  struct signalfd_siginfo si[4];
  int status;
  pid_t pid;
  while (read (m->sig.fd, si, sizeof (si)) > 0)
    ;
  while ((pid = waitpid (-1, &status, WNOHANG)) > 0)
    if (pid == m->pid && !m->exited)
      {
        m->exited = true;
        m->status = status;
        clock_gettime (CLOCK_REALTIME, &m->finished);
        m->exited_ms = mono_ms ();
      }
}

/* ---- setup and loop ---- */

int
monitor_init (struct monitor *m, const char *attach_path, wharf_error_t *err)
{
  sigset_t mask;
  memset (m, 0, sizeof (*m));
  m->epfd = m->sig.fd = m->out.fd = m->err.fd = m->in.fd = m->master = -1;
  m->sig.kind = EP_SIGNAL;
  m->out.kind = EP_STDOUT;
  m->err.kind = EP_STDERR;
  m->in.kind = EP_STDIN;
  m->sink = (struct attach_sink) {
    .ctx = m,
    .stdin_room = sink_stdin_room,
    .stdin_data = sink_stdin_data,
    .close_stdin = sink_close_stdin,
    .resize = sink_resize,
  };

  m->epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (m->epfd < 0)
    return wharf_make_error (err, errno, "epoll_create1");
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  if (sigprocmask (SIG_BLOCK, &mask, NULL) < 0)
    return wharf_make_error (err, errno, "block SIGCHLD");
  m->sig.fd = signalfd (-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (m->sig.fd < 0)
    return wharf_make_error (err, errno, "signalfd");
  if (ep_src_set (m->epfd, &m->sig, EPOLLIN) < 0)
    return wharf_make_error (err, errno, "epoll signalfd");
  if (attach_server_init (&m->attach, m->epfd, attach_path, &m->sink, err) < 0)
    return wharf_error_wrap (err, "attach socket");
  orphan_watch_init (&m->orphan, m->epfd);
  return 0;
}

int
monitor_set_io (struct monitor *m, pid_t pid, int out_fd, int err_fd, int in_fd, bool tty, wharf_error_t *err)
{
  m->pid = pid;
  m->out.fd = out_fd;
  m->err.fd = err_fd;
  m->in.fd = in_fd;
  m->master = tty ? out_fd : -1;
  if (ep_src_set (m->epfd, &m->out, EPOLLIN) < 0 || ep_src_set (m->epfd, &m->err, EPOLLIN) < 0)
    return wharf_make_error (err, errno, "epoll container output");
  return 0;
}

static bool
drained (struct monitor *m, int *timeout)
{
  long now, deadline, idle;
  if (!m->exited)
    {
      *timeout = -1;
      return false;
    }
  if (m->out.fd < 0 && m->err.fd < 0)
    return true;
  now = mono_ms ();
  idle = (m->last_output_ms > m->exited_ms ? m->last_output_ms : m->exited_ms) + DRAIN_IDLE_MS;
  deadline = m->exited_ms + DRAIN_MAX_MS;
  if (idle < deadline)
    deadline = idle;
  if (now >= deadline)
    return true;
  *timeout = (int) (deadline - now);
  return false;
}

void
monitor_run (struct monitor *m)
{
  struct epoll_event evs[16];
  int timeout;
  /* The container may be gone already (an exec that ran briefly). */
  on_signal (m);
  while (!drained (m, &timeout))
    {
      int n = epoll_wait (m->epfd, evs, 16, timeout);
      if (n < 0 && errno != EINTR)
        break;
      for (int i = 0; i < n; i++)
        {
          struct ep_src *src = evs[i].data.ptr;
          uint32_t ev = evs[i].events;
          if (src->fd < 0)
            continue; /* closed earlier in this batch */
          switch (src->kind)
            {
            case EP_SIGNAL:
              on_signal (m);
              break;
            case EP_STDOUT:
            case EP_STDERR:
              on_output (m, src);
              break;
            case EP_STDIN:
              on_stdin_writable (m, ev);
              break;
            case EP_LISTEN:
              attach_server_accept (&m->attach);
              break;
            case EP_CLIENT:
              attach_client_event (&m->attach, src, ev);
              break;
            case EP_ORPHAN:
              /* Nobody can reach this container any more: end it. Only while
                 it runs: once reaped, its pid may belong to someone else. */
              if (orphan_check (&m->orphan, m->exited ? 0 : m->pid) && !m->exited)
                kill (m->pid, SIGKILL);
              break;
            }
        }
      attach_reap (&m->attach);
    }
}

void
monitor_close_io (struct monitor *m)
{
  if (m->orphan.orphaned && m->exited)
    orphan_remove_cgroups (&m->orphan);
  orphan_watch_close (&m->orphan, m->epfd);
  ep_src_close (m->epfd, &m->sig);
  if (m->out.fd == m->master)
    (void) ep_src_set (m->epfd, &m->out, 0), m->out.fd = -1;
  ep_src_close (m->epfd, &m->out);
  ep_src_close (m->epfd, &m->err);
  ep_src_close (m->epfd, &m->in);
  if (m->master >= 0)
    close (m->master);
  m->master = -1;
  ring_free (m->stdin_buf);
  m->stdin_buf = NULL;
}

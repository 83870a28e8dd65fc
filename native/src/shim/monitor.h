/* The shim's event loop for one container (or exec process): one epoll
 * set over
 *   - a signalfd for SIGCHLD (reaps everything; the container's status is
 *     kept),
 *   - the container's stdout and stderr (pipes) or the pty master,
 *   - its stdin (pipe write end, or a dup of the master) while input is
 *     queued,
 *   - the attach socket and its clients.
 * All fds are non-blocking. Output is read in bounded bursts, logged and
 * broadcast; it is never held back for a client or for stdin.
 *
 * monitor_run returns once the container has exited and its output is
 * drained: both output streams at EOF, or no output for DRAIN_IDLE_MS (a
 * process outside the container's pid namespace, e.g. one an exec left
 * behind, may keep a pipe open forever), at most DRAIN_MAX_MS after exit. */
#ifndef WHARF_SHIM_MONITOR_H
#define WHARF_SHIM_MONITOR_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "common/error.h"
#include "shim/attach.h"
#include "shim/event.h"
#include "shim/jsonlog.h"
#include "shim/orphan.h"

#define DRAIN_IDLE_MS 250
#define DRAIN_MAX_MS 2000
#define STDIN_BUF (64 * 1024)

struct ring;

struct monitor
{
  int epfd;
  struct ep_src sig, out, err, in;
  int master; /* pty master with --terminal, else -1 */
  struct attach_server attach;
  struct orphan_watch orphan;
  struct attach_sink sink;
  struct json_log *log; /* NULL: no log */
  struct ring *stdin_buf;
  bool stdin_close_pending;
  pid_t pid;
  bool exited;
  int status; /* waitpid status */
  struct timespec finished;
  long exited_ms, last_output_ms;
};

/* Creates the epoll set and the signalfd (blocking SIGCHLD first, so no
 * child's exit is missed), and listens on attach_path. */
int monitor_init (struct monitor *m, const char *attach_path, wharf_error_t *err);

/* Hands over the container's stdio, all owned by the monitor. With a
 * terminal, out_fd is the master and err_fd is -1; in_fd is -1 without
 * --stdin. */
int monitor_set_io (struct monitor *m, pid_t pid, int out_fd, int err_fd, int in_fd, bool tty, wharf_error_t *err);

void monitor_run (struct monitor *m);

/* Closes the container's stdio and the signalfd (attach is left to the
 * caller: exit.json goes out before clients see EOF). */
void monitor_close_io (struct monitor *m);

#endif

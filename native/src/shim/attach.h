/* The attach socket (native/README.md, "Attach protocol"): SOCK_STREAM,
 * every message a frame with Docker's 8-byte header
 * [type, 0, 0, 0, len (u32 BE)] then len bytes.
 *
 *   shim -> client: 1 stdout, 2 stderr (a TTY's output is 1)
 *   client -> shim: 0 stdin data, 3 close stdin, 4 resize (rows u16 BE, cols u16 BE)
 *
 * Any number of clients (up to ATTACH_MAX_CLIENTS) get all output from the
 * moment they connect. Output is written straight to the socket; only what
 * the socket does not take is queued, in a ring allocated on demand and
 * freed once drained. A client whose queue would pass ATTACH_CLIENT_BUF is
 * dropped: a slow reader never blocks the container.
 *
 * Input is read exactly frame by frame. Stdin payload is read only as far
 * as the sink has room; when it has none the client stops being polled for
 * input until attach_resume_input (backpressure to the writer, not loss). */
#ifndef WHARF_SHIM_ATTACH_H
#define WHARF_SHIM_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "shim/event.h"

#define ATTACH_MAX_CLIENTS 128
#define ATTACH_CLIENT_BUF (4 * 1024 * 1024)

enum attach_frame
{
  FRAME_STDIN = 0,
  FRAME_STDOUT = 1,
  FRAME_STDERR = 2,
  FRAME_CLOSE_STDIN = 3,
  FRAME_RESIZE = 4,
};

/* Where client input goes (the monitor). */
struct attach_sink
{
  void *ctx;
  size_t (*stdin_room) (void *ctx); /* bytes stdin_data accepts now */
  void (*stdin_data) (void *ctx, const char *data, size_t len);
  void (*close_stdin) (void *ctx);
  void (*resize) (void *ctx, unsigned rows, unsigned cols);
};

struct attach_client;

struct attach_server
{
  struct ep_src listen; /* kind EP_LISTEN */
  int epfd;
  struct attach_client *clients;
  struct attach_client *dead;
  unsigned nclients;
  const struct attach_sink *sink;
};

int attach_server_init (struct attach_server *s, int epfd, const char *path, const struct attach_sink *sink,
                        wharf_error_t *err);

/* Event handlers for the loop. */
void attach_server_accept (struct attach_server *s);
void attach_client_event (struct attach_server *s, struct ep_src *src, uint32_t events);

/* Frees clients dropped during the last batch of events (they wait on
 * `dead` so an event still queued for one never touches freed memory).
 * Call after each epoll_wait batch. */
void attach_reap (struct attach_server *s);

/* Sends one frame to every client. */
void attach_broadcast (struct attach_server *s, enum attach_frame type, const char *data, size_t len);

/* The sink has room again: poll paused clients for input. */
void attach_resume_input (struct attach_server *s);

/* Unlinks path and stops accepting. */
void attach_server_stop (struct attach_server *s, const char *path);

/* Flushes queued output for up to timeout_ms, then closes every client. */
void attach_server_close_all (struct attach_server *s, int timeout_ms);

#endif

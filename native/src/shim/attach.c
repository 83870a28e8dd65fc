#include "shim/attach.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "common/utils.h"
#include "shim/ring.h"
#include "shim/unixsock.h"

#define HDR_LEN 8
#define READS_PER_WAKEUP 16

struct attach_client
{
  struct ep_src src; /* first: the loop hands us &src */
  struct attach_client *next;
  struct ring *out; /* queued output, NULL when none */
  uint32_t remaining; /* payload bytes left in the current input frame */
  uint8_t hdr[HDR_LEN];
  uint8_t hdr_len; /* == HDR_LEN while inside a payload */
  uint8_t payload[4];
  uint8_t payload_len;
  bool in_eof; /* client shut down its side; still gets output */
  bool paused; /* waiting for stdin room */
};


int
attach_server_init (struct attach_server *s, int epfd, const char *path, const struct attach_sink *sink,
                    wharf_error_t *err)
{
  int fd = unix_listen (path, 16, err);
  if (fd < 0)
    return fd;
  memset (s, 0, sizeof (*s));
  s->epfd = epfd;
  s->sink = sink;
  s->listen.kind = EP_LISTEN;
  s->listen.fd = fd;
  if (ep_src_set (epfd, &s->listen, EPOLLIN) < 0)
    return wharf_make_error (err, errno, "epoll attach socket");
  return 0;
}

static uint32_t
wanted_events (const struct attach_client *c)
{
  uint32_t ev = 0;
  if (!c->in_eof && !c->paused)
    ev |= EPOLLIN;
  if (c->out)
    ev |= EPOLLOUT;
  /* Registered even with nothing wanted, to hear about hang-ups (epoll
   * always reports EPOLLHUP/EPOLLERR; the mask just must not be 0). */
  return ev ? ev : EPOLLERR;
}

static void
update (struct attach_server *s, struct attach_client *c)
{
  (void) ep_src_set (s->epfd, &c->src, wanted_events (c));
}

static void
drop (struct attach_server *s, struct attach_client *c)
{
  struct attach_client **pp;
  for (pp = &s->clients; *pp; pp = &(*pp)->next)
    if (*pp == c)
      {
        *pp = c->next;
        break;
      }
  ep_src_close (s->epfd, &c->src);
  ring_free (c->out);
  c->out = NULL;
  c->next = s->dead;
  s->dead = c;
  s->nclients--;
}

void
attach_reap (struct attach_server *s)
{
  while (s->dead)
    {
      struct attach_client *c = s->dead;
      s->dead = c->next;
      free (c);
    }
}

void
attach_server_accept (struct attach_server *s)
{
  for (int i = 0; i < 16; i++)
    {
      struct attach_client *c;
      int fd = accept4 (s->listen.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0)
        return; /* EAGAIN, or a transient error: try on the next wakeup */
      if (s->nclients >= ATTACH_MAX_CLIENTS || (c = calloc (1, sizeof (*c))) == NULL)
        {
          close (fd);
          continue;
        }
      c->src.kind = EP_CLIENT;
      c->src.fd = fd;
      c->next = s->clients;
      s->clients = c;
      s->nclients++;
      update (s, c);
      if (c->src.events == 0)
        drop (s, c);
    }
}

static void
frame_done (struct attach_server *s, struct attach_client *c)
{
  if (c->hdr[0] == FRAME_CLOSE_STDIN)
    s->sink->close_stdin (s->sink->ctx);
  else if (c->hdr[0] == FRAME_RESIZE && c->payload_len == 4)
    s->sink->resize (s->sink->ctx, (unsigned) c->payload[0] << 8 | c->payload[1],
                     (unsigned) c->payload[2] << 8 | c->payload[3]);
  c->hdr_len = 0;
  c->payload_len = 0;
}

/* One read step. Returns 1 to go on, 0 to stop for now, -1 when the
 * client is gone. */
static int
read_step (struct attach_server *s, struct attach_client *c)
{
  char buf[4096];
  size_t want;
  ssize_t n;
  char *dst = buf;

  if (c->hdr_len < HDR_LEN)
    {
      want = HDR_LEN - c->hdr_len;
      dst = (char *) c->hdr + c->hdr_len;
    }
  else if (c->hdr[0] == FRAME_STDIN)
    {
      size_t room = s->sink->stdin_room (s->sink->ctx);
      if (room == 0)
        {
          c->paused = true;
          update (s, c);
          return 0;
        }
      want = c->remaining;
      if (want > room)
        want = room;
    }
  else if (c->hdr[0] == FRAME_RESIZE && c->payload_len < sizeof (c->payload))
    {
      want = sizeof (c->payload) - c->payload_len;
      dst = (char *) c->payload + c->payload_len;
    }
  else
    want = c->remaining; /* discarded */
  if (want > sizeof (buf))
    want = sizeof (buf);

  do
    n = read (c->src.fd, dst, want);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN ? 0 : -1;
  if (n == 0)
    {
      c->in_eof = true;
      update (s, c);
      return 0;
    }

  if (c->hdr_len < HDR_LEN)
    {
      c->hdr_len += (uint8_t) n;
      if (c->hdr_len < HDR_LEN)
        return 1;
      c->remaining = (uint32_t) c->hdr[4] << 24 | (uint32_t) c->hdr[5] << 16 | (uint32_t) c->hdr[6] << 8 | c->hdr[7];
    }
  else
    {
      if (c->hdr[0] == FRAME_STDIN)
        s->sink->stdin_data (s->sink->ctx, buf, (size_t) n);
      else if (dst != buf)
        c->payload_len += (uint8_t) n;
      c->remaining -= (uint32_t) n;
    }
  if (c->remaining == 0)
    frame_done (s, c);
  return 1;
}

static int
flush (struct attach_client *c)
{
  if (c->out == NULL)
    return 0;
  if (ring_write_fd (c->out, c->src.fd) < 0)
    return -1;
  if (ring_used (c->out) == 0)
    {
      ring_free (c->out);
      c->out = NULL;
    }
  return 0;
}

void
attach_client_event (struct attach_server *s, struct ep_src *src, uint32_t events)
{
  struct attach_client *c = (struct attach_client *) src;
  if (c->src.fd < 0)
    return; /* dropped earlier in this batch */
  if (events & EPOLLOUT)
    {
      if (flush (c) < 0)
        {
          drop (s, c);
          return;
        }
      update (s, c);
    }
  if (events & EPOLLIN)
    {
      for (int i = 0; i < READS_PER_WAKEUP; i++)
        {
          int r = read_step (s, c);
          if (r < 0)
            {
              drop (s, c);
              return;
            }
          if (r == 0)
            break;
        }
    }
  /* A full hang-up (or error) with nothing left to read ends the client. */
  if ((events & (EPOLLHUP | EPOLLERR)) && !(events & EPOLLIN))
    drop (s, c);
  else if ((events & (EPOLLHUP | EPOLLERR)) && c->in_eof)
    drop (s, c);
}

/* Queues what the socket did not take. Returns -1 when the client must go. */
static int
enqueue (struct attach_client *c, const uint8_t *hdr, const char *data, size_t len, size_t sent)
{
  size_t total = HDR_LEN + len;
  if (c->out == NULL)
    {
      c->out = ring_new (ATTACH_CLIENT_BUF);
      if (c->out == NULL)
        return -1;
    }
  if (ring_space (c->out) < total - sent)
    return -1;
  if (sent < HDR_LEN)
    {
      ring_push (c->out, hdr + sent, HDR_LEN - sent);
      ring_push (c->out, data, len);
    }
  else
    ring_push (c->out, data + (sent - HDR_LEN), total - sent);
  return 0;
}

void
attach_broadcast (struct attach_server *s, enum attach_frame type, const char *data, size_t len)
{
  uint8_t hdr[HDR_LEN] = { (uint8_t) type, 0, 0, 0, (uint8_t) (len >> 24), (uint8_t) (len >> 16),
                           (uint8_t) (len >> 8), (uint8_t) len };
  struct attach_client *c = s->clients, *next;
  for (; c; c = next)
    {
      ssize_t n = 0;
      next = c->next;
      if (c->out == NULL)
        {
          struct iovec iov[2] = { { hdr, HDR_LEN }, { (void *) data, len } };
          do
            n = writev (c->src.fd, iov, 2);
          while (n < 0 && errno == EINTR);
          if (n < 0 && errno != EAGAIN)
            {
              drop (s, c);
              continue;
            }
          if (n < 0)
            n = 0;
          if ((size_t) n == HDR_LEN + len)
            continue;
        }
      if (enqueue (c, hdr, data, len, (size_t) n) < 0)
        {
          drop (s, c);
          continue;
        }
      update (s, c);
    }
}

void
attach_resume_input (struct attach_server *s)
{
  for (struct attach_client *c = s->clients; c; c = c->next)
    if (c->paused)
      {
        c->paused = false;
        update (s, c);
      }
}

void
attach_server_stop (struct attach_server *s, const char *path)
{
  if (s->listen.fd < 0)
    return;
  unlink (path);
  ep_src_close (s->epfd, &s->listen);
}

static long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

void
attach_server_close_all (struct attach_server *s, int timeout_ms)
{
  long deadline = now_ms () + timeout_ms;
  for (;;)
    {
      struct epoll_event evs[16];
      bool pending = false;
      long left = deadline - now_ms ();
      int n;
      for (struct attach_client *c = s->clients; c; c = c->next)
        {
          /* Only output matters now. */
          c->in_eof = true;
          update (s, c);
          pending |= c->out != NULL;
        }
      if (!pending || left <= 0)
        break;
      n = epoll_wait (s->epfd, evs, 16, (int) left);
      for (int i = 0; i < n; i++)
        {
          struct ep_src *src = evs[i].data.ptr;
          if (src->kind == EP_CLIENT)
            attach_client_event (s, src, evs[i].events & ~(uint32_t) EPOLLIN);
        }
      attach_reap (s);
    }
  while (s->clients)
    drop (s, s->clients);
  attach_reap (s);
}

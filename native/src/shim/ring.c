#include "shim/ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

struct ring
{
  size_t cap;
  size_t head; /* next byte to read */
  size_t used;
  char buf[];
};

struct ring *
ring_new (size_t capacity)
{
  struct ring *r = malloc (sizeof (*r) + capacity);
  if (r == NULL)
    return NULL;
  r->cap = capacity;
  r->head = 0;
  r->used = 0;
  return r;
}

void
ring_free (struct ring *r)
{
  free (r);
}

void
cleanup_ringp (struct ring **r)
{
  ring_free (*r);
  *r = NULL;
}

size_t
ring_used (const struct ring *r)
{
  return r->used;
}

size_t
ring_space (const struct ring *r)
{
  return r->cap - r->used;
}

/* The free region as up to two iovecs starting at the tail. */
static int
free_iov (struct ring *r, struct iovec iov[2], size_t max)
{
  size_t tail = (r->head + r->used) % r->cap;
  size_t space = ring_space (r);
  size_t first;
  if (space > max)
    space = max;
  first = r->cap - tail;
  if (first > space)
    first = space;
  iov[0].iov_base = r->buf + tail;
  iov[0].iov_len = first;
  iov[1].iov_base = r->buf;
  iov[1].iov_len = space - first;
  return iov[1].iov_len > 0 ? 2 : 1;
}

/* The used region as up to two iovecs starting at head. */
static int
used_iov (struct ring *r, struct iovec iov[2])
{
  size_t first = r->cap - r->head;
  if (first > r->used)
    first = r->used;
  iov[0].iov_base = r->buf + r->head;
  iov[0].iov_len = first;
  iov[1].iov_base = r->buf;
  iov[1].iov_len = r->used - first;
  return iov[1].iov_len > 0 ? 2 : 1;
}

int
ring_push (struct ring *r, const void *data, size_t len)
{
  struct iovec iov[2];
  if (len > ring_space (r))
    return -1;
  free_iov (r, iov, len);
  memcpy (iov[0].iov_base, data, iov[0].iov_len);
  if (iov[1].iov_len)
    memcpy (iov[1].iov_base, (const char *) data + iov[0].iov_len, iov[1].iov_len);
  r->used += len;
  return 0;
}

ssize_t
ring_read_fd (struct ring *r, int fd, size_t max)
{
  struct iovec iov[2];
  ssize_t n;
  int cnt;
  if (ring_space (r) == 0 || max == 0)
    {
      errno = EAGAIN;
      return -1;
    }
  cnt = free_iov (r, iov, max);
  do
    n = readv (fd, iov, cnt);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    r->used += (size_t) n;
  return n;
}

ssize_t
ring_write_fd (struct ring *r, int fd)
{
  struct iovec iov[2];
  ssize_t n;
  int cnt;
  if (r->used == 0)
    return 0;
  cnt = used_iov (r, iov);
  do
    n = writev (fd, iov, cnt);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return errno == EAGAIN ? 0 : -1;
  r->head = (r->head + (size_t) n) % r->cap;
  r->used -= (size_t) n;
  if (r->used == 0)
    r->head = 0;
  return n;
}

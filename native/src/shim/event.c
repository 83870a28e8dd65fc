#include "shim/event.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

int
ep_src_set (int epfd, struct ep_src *src, uint32_t events)
{
  struct epoll_event ev = { .events = events, .data.ptr = src };
  int op;
  if (src->fd < 0 || events == src->events)
    return 0;
  if (events == 0)
    op = EPOLL_CTL_DEL;
  else
    op = src->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
  if (epoll_ctl (epfd, op, src->fd, &ev) < 0)
    return -1;
  src->events = events;
  return 0;
}

void
ep_src_close (int epfd, struct ep_src *src)
{
  if (src->fd < 0)
    return;
  (void) ep_src_set (epfd, src, 0);
  close (src->fd);
  src->fd = -1;
  src->events = 0;
}
